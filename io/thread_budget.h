#pragma once

namespace cfx::io {

// How many LibTorch threads the next piece of work gets. Two OpenMP threads that share a core
// with another busy thread wait for each other at every barrier (a slider move then takes 5-20x
// its idle time, where one thread takes 2-3x), so by default a job takes the cores that no other
// thread is using at the moment, and at least one. A fixed count overrides that.
class ThreadBudget {
 public:
  // fixedThreads > 0: always that many. 0: adapt to the load before every job, up to maxThreads.
  ThreadBudget(int fixedThreads, int maxThreads);
  // Sets the calling thread's LibTorch (OpenMP) thread count for its next work and returns it.
  int apply() const;
  bool adaptive() const { return fixed_ == 0; }
  int maxThreads() const { return max_; }

 private:
  int fixed_, max_;
};

// Runnable threads of other processes right now (the kernel's count less this process's own),
// or -1 where the system does not say (no /proc).
int runnableThreadsElsewhere();

// "auto" or a positive count, as given to --threads; throws std::invalid_argument otherwise.
int parseThreadCount(const char* text);

}  // namespace cfx::io
