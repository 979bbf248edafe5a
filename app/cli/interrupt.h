#pragma once

#include <atomic>

#include "work_monitor.h"

namespace cfx::cli {

// Installs SIGINT/SIGTERM handlers that only raise a flag, so long work can stop at a safe point
// and clean up instead of dying half-way through writing.
void installInterruptHandlers();
const std::atomic<bool>& interruptRequested();

// Long work that noticed the flag throws cfx::Interrupted; the command exits with status 130.
using cfx::Interrupted;

}  // namespace cfx::cli
