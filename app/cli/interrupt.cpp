#include "interrupt.h"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

namespace cfx::cli {
namespace {

// A signal handler can only reach static storage; these flags are the one such place.
std::atomic<bool> requested{false};
std::atomic<int> signals{0};

// How long a command may take to reach a safe point after SIGINT/SIGTERM before it is stopped
// anyway (its staged output and temporary files are then left for the next run to ignore).
constexpr auto kGrace = std::chrono::seconds(5);

extern "C" void onSignal(int signal) {
  requested.store(true);
  // A second signal means "now": the user or the system will not wait for a safe point.
  if (signals.fetch_add(1) >= 1) _exit(128 + signal);
}

void stopIfStillRunning() {
  while (!requested.load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(kGrace);
  static const char message[] =
      "\ncfx: interrupted; the command did not stop at a safe point within 5 s, stopping now\n";
  [[maybe_unused]] const auto written = ::write(STDERR_FILENO, message, sizeof message - 1);
  _exit(130);
}

}  // namespace

void installInterruptHandlers() {
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  // Every command stops on SIGINT/SIGTERM: long work at its next safe point (the flag), anything
  // else after the grace period.
  std::thread(stopIfStillRunning).detach();
}

const std::atomic<bool>& interruptRequested() {
  return requested;
}

}  // namespace cfx::cli
