#include "thread_budget.h"

#include <ATen/Parallel.h>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace cfx::io {
namespace {

// The scheduling state of one of this process's threads: the letter after "(name) ".
bool threadIsRunnable(const std::filesystem::path& statFile) {
  std::ifstream in(statFile);
  std::string line;
  if (!std::getline(in, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'R';
}

}  // namespace

ThreadBudget::ThreadBudget(int fixedThreads, int maxThreads)
    : fixed_(std::max(0, fixedThreads)), max_(std::max(1, maxThreads)) {}

int ThreadBudget::apply() const {
  int threads = fixed_;
  if (threads == 0) {
    const int elsewhere = runnableThreadsElsewhere();
    threads = elsewhere < 0 ? max_ : std::clamp(max_ - elsewhere, 1, max_);
  }
  if (at::get_num_threads() != threads) at::set_num_threads(threads);
  return threads;
}

int runnableThreadsElsewhere() {
  std::ifstream stat("/proc/stat");
  long running = -1;
  for (std::string line; std::getline(stat, line);)
    if (line.rfind("procs_running ", 0) == 0) {
      running = std::strtol(line.c_str() + std::strlen("procs_running "), nullptr, 10);
      break;
    }
  if (running < 0) return -1;
  // Our own threads count too (the caller, and OpenMP workers still spinning after the last
  // parallel region): they are not load.
  long own = 0;
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", error))
    own += threadIsRunnable(task.path() / "stat");
  return int(std::max(0L, running - own));
}

int parseThreadCount(const char* text) {
  if (std::strcmp(text, "auto") == 0) return 0;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < 1 || value > 256)
    throw std::invalid_argument(std::string("'") + text +
                                "': expected auto or a thread count from 1 to 256");
  return int(value);
}

}  // namespace cfx::io
