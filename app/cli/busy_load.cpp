#include "busy_load.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace cfx::cli {
namespace {

[[noreturn]] void spinForever(int threads, int startPipe) {
  char byte = 0;
  if (read(startPipe, &byte, 1) != 1) _exit(0);  // the parent went away before starting us
  std::vector<std::thread> spinners;
  for (int t = 1; t < threads; ++t)
    spinners.emplace_back([] {
      for (volatile unsigned long i = 0;; i = i + 1) {
      }
    });
  for (volatile unsigned long i = 0;; i = i + 1) {
  }
}

}  // namespace

BusyLoad::BusyLoad(int threads) : threads_(threads) {
  if (threads <= 0) return;
  int fds[2];
  if (pipe(fds) != 0)
    throw std::runtime_error(std::string("cannot start the load: ") + std::strerror(errno));
  child_ = fork();
  if (child_ < 0) {
    close(fds[0]);
    close(fds[1]);
    throw std::runtime_error(std::string("cannot start the load: ") + std::strerror(errno));
  }
  if (child_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(fds[1]);
    spinForever(threads, fds[0]);
  }
  close(fds[0]);
  startPipe_ = fds[1];
}

void BusyLoad::start() {
  if (startPipe_ < 0) return;
  const char byte = 1;
  if (write(startPipe_, &byte, 1) != 1)
    throw std::runtime_error(std::string("cannot start the load: ") + std::strerror(errno));
}

BusyLoad::~BusyLoad() {
  if (child_ <= 0) return;
  kill(child_, SIGKILL);
  waitpid(child_, nullptr, 0);
  close(startPipe_);
}

}  // namespace cfx::cli
