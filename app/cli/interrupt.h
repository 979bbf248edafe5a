#pragma once

#include <atomic>

namespace cfx::cli {

// Installs SIGINT/SIGTERM handlers that only raise a flag, so long work can stop at a safe point
// and clean up instead of dying half-way through writing.
void installInterruptHandlers();
const std::atomic<bool>& interruptRequested();

// Thrown by long work that noticed the flag; the command exits with status 130.
struct Interrupted {};

}  // namespace cfx::cli
