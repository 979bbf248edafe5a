#include "background_task.h"

#include <QMetaObject>

#include "error_text.h"

namespace cfx::ui {

// Forwards progress to the owner's thread through queued signals.
class BackgroundTask::Monitor : public WorkMonitor {
 public:
  Monitor(BackgroundTask& task, const std::atomic<bool>* cancel)
      : WorkMonitor(cancel), task_(task) {}
  void begin(const std::string& label, long total) override {
    total_ = total;
    Q_EMIT task_.progressed(0, total_, QString::fromStdString(label));
  }
  void update(long done, const std::string& detail) override {
    Q_EMIT task_.progressed(done, total_, QString::fromStdString(detail));
  }

 private:
  BackgroundTask& task_;
  long total_ = 0;
};

BackgroundTask::BackgroundTask(QObject* owner, std::function<void(WorkMonitor&)> work)
    : QObject(owner), work_(std::move(work)) {}

BackgroundTask::~BackgroundTask() {
  cancel_ = true;
  if (thread_) {
    thread_->wait();
    delete thread_;
  }
}

void BackgroundTask::start() {
  thread_ = QThread::create([this] {
    Monitor monitor(*this, &cancel_);
    // Signals emitted here reach the owner's thread queued (the task lives there).
    try {
      work_(monitor);
      if (cancel_)
        Q_EMIT cancelled();
      else
        Q_EMIT succeeded();
    } catch (const Interrupted&) {
      Q_EMIT cancelled();
    } catch (const std::exception& e) {
      Q_EMIT failed(QString::fromStdString(errorText(e)));
    }
  });
  thread_->start();
}

}  // namespace cfx::ui
