#include "console_monitor.h"

#include <iostream>

#include "interrupt.h"

namespace cfx::cli {

ConsoleMonitor::ConsoleMonitor() : WorkMonitor(&interruptRequested()) {}

void ConsoleMonitor::begin(const std::string& label, long total) {
  progress_ = std::make_unique<ConsoleProgress>(std::cerr, label, total, stderrIsTerminal());
}

void ConsoleMonitor::update(long done, const std::string& detail) {
  if (progress_) progress_->update(done, detail);
}

void ConsoleMonitor::finish() {
  if (progress_) progress_->finish();
  progress_.reset();
}

void ConsoleMonitor::note(const std::string& line) {
  std::cerr << line << "\n";
}

}  // namespace cfx::cli
