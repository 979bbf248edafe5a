#pragma once

#include <memory>

#include "console_progress.h"
#include "work_monitor.h"

namespace cfx::cli {

// The command line's view of long work: a progress line on stderr, notes on stderr, and
// SIGINT/SIGTERM (installInterruptHandlers) as the cancel flag.
class ConsoleMonitor : public WorkMonitor {
 public:
  ConsoleMonitor();
  void begin(const std::string& label, long total) override;
  void update(long done, const std::string& detail) override;
  void finish() override;
  void note(const std::string& line) override;

 private:
  std::unique_ptr<ConsoleProgress> progress_;
};

}  // namespace cfx::cli
