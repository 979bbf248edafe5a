#include "interrupt.h"

#include <csignal>

namespace cfx::cli {
namespace {

// A signal handler can only reach static storage; this flag is the one such place.
std::atomic<bool> requested{false};

extern "C" void onSignal(int) {
  requested.store(true);
}

}  // namespace

void installInterruptHandlers() {
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
}

const std::atomic<bool>& interruptRequested() {
  return requested;
}

}  // namespace cfx::cli
