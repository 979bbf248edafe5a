#pragma once

#include <atomic>
#include <string>

namespace cfx {

// Thrown by long work that noticed its cancel flag; each front end turns it into its own
// "interrupted" (the command line exits with 130, the explorer drops the request).
struct Interrupted {};

// How long work (loading a data set, training, evaluating) tells whoever started it how far it is,
// passes on messages for the user and learns that it should stop. The libraries never print or
// catch signals themselves: the command line draws a progress line on stderr, a GUI a progress
// bar, a test nothing. The defaults do nothing and never cancel.
class WorkMonitor {
 public:
  explicit WorkMonitor(const std::atomic<bool>* cancel = nullptr) : cancel_(cancel) {}
  virtual ~WorkMonitor() = default;
  WorkMonitor(const WorkMonitor&) = delete;
  WorkMonitor& operator=(const WorkMonitor&) = delete;

  // One task of `total` units starts; updates follow, then finish. Tasks do not nest.
  virtual void begin(const std::string& /*label*/, long /*total*/) {}
  virtual void update(long /*done*/, const std::string& /*detail*/ = {}) {}
  virtual void finish() {}
  // A line for the user (what the work measured or decided), without its newline.
  virtual void note(const std::string& /*line*/) {}

  // The flag that stops the work at its next safe point; null when nothing can stop it.
  const std::atomic<bool>* cancelFlag() const { return cancel_; }
  bool cancelled() const { return cancel_ != nullptr && cancel_->load(); }
  void throwIfCancelled() const {
    if (cancelled()) throw Interrupted{};
  }

 private:
  const std::atomic<bool>* cancel_;
};

}  // namespace cfx
