#pragma once

#include <chrono>
#include <ostream>
#include <string>

namespace cfx::cli {

// A progress line with percentage, rate and an estimate of the time left. On a terminal it
// redraws in place; otherwise (CI logs, pipes) it prints a line every 10 %.
class ConsoleProgress {
 public:
  ConsoleProgress(std::ostream& out, std::string label, long total, bool interactive);
  void update(long done, const std::string& detail = {});
  void finish();

 private:
  std::ostream& out_;
  std::string label_;
  long total_;
  bool interactive_;
  int lastDecile_ = -1;
  std::string detail_;
  std::chrono::steady_clock::time_point start_, lastDraw_;
};

// True when stderr is a terminal.
bool stderrIsTerminal();

}  // namespace cfx::cli
