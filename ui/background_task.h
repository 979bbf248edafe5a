#pragma once

#include <QObject>
#include <QPointer>
#include <QThread>
#include <exception>
#include <functional>
#include <memory>

#include "work_monitor.h"

namespace cfx::ui {

// Runs network or file work on a thread of its own and hands the result (or the error's message)
// back on the owner's thread. The owner keeps the task and deletes it (which cancels and waits),
// so nothing is ever delivered to a widget that is gone.
class BackgroundTask : public QObject {
  Q_OBJECT
 public:
  // `work` runs on the task's thread and may throw; `monitor` is the cancel flag it should watch.
  BackgroundTask(QObject* owner, std::function<void(WorkMonitor&)> work);
  ~BackgroundTask() override;
  void start();
  void cancel() { cancel_ = true; }

 Q_SIGNALS:
  void progressed(long done, long total, const QString& detail);
  void succeeded();
  void failed(const QString& message);
  void cancelled();

 private:
  class Monitor;
  std::function<void(WorkMonitor&)> work_;
  std::atomic<bool> cancel_{false};
  QThread* thread_ = nullptr;
};

}  // namespace cfx::ui
