#pragma once

#include <sys/types.h>

namespace cfx::cli {

// Busy threads in another process: the load `cfx bench --load N` measures under. The process is
// forked at construction, before LibTorch starts any thread, and spins only while started; it is
// killed with this object (or with its parent, should that die first).
class BusyLoad {
 public:
  explicit BusyLoad(int threads);
  ~BusyLoad();
  BusyLoad(const BusyLoad&) = delete;
  BusyLoad& operator=(const BusyLoad&) = delete;
  void start();
  int threads() const { return threads_; }

 private:
  int threads_ = 0;
  pid_t child_ = -1;
  int startPipe_ = -1;  // the parent's end: one byte starts the spinning
};

}  // namespace cfx::cli
