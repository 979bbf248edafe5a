#include "console_progress.h"

#include <unistd.h>

#include <cstdio>

namespace cfx::cli {
namespace {

std::string formatSeconds(double s) {
  char buffer[32];
  if (s < 60)
    std::snprintf(buffer, sizeof buffer, "%.0f s", s);
  else
    std::snprintf(buffer, sizeof buffer, "%d min %02d s", int(s) / 60, int(s) % 60);
  return buffer;
}

}  // namespace

bool stderrIsTerminal() {
  return ::isatty(STDERR_FILENO) == 1;
}

ConsoleProgress::ConsoleProgress(std::ostream& out, std::string label, long total, bool interactive)
    : out_(out),
      label_(std::move(label)),
      total_(total > 0 ? total : 1),
      interactive_(interactive),
      start_(std::chrono::steady_clock::now()),
      lastDraw_(start_) {}

void ConsoleProgress::update(long done, const std::string& detail) {
  if (!detail.empty()) detail_ = detail;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double fraction = double(done) / double(total_);
  const int decile = int(fraction * 10);
  if (interactive_ ? (now - lastDraw_ < std::chrono::milliseconds(100) && done < total_)
                   : decile == lastDecile_)
    return;
  lastDraw_ = now;
  lastDecile_ = decile;
  const double left = done > 0 ? elapsed * (double(total_ - done) / double(done)) : 0.0;
  char line[512];
  const int width = 30, filled = int(fraction * width);
  std::snprintf(line, sizeof line, "%s [%s%s] %3.0f%% %ld/%ld  %.1f/s  elapsed %s, about %s left",
                label_.c_str(), std::string(size_t(filled), '#').c_str(),
                std::string(size_t(width - filled), '.').c_str(), 100.0 * fraction, done, total_,
                elapsed > 0 ? done / elapsed : 0.0, formatSeconds(elapsed).c_str(),
                formatSeconds(left).c_str());
  out_ << (interactive_ ? "\r" : "") << line << (detail_.empty() ? "" : "  " + detail_)
       << (interactive_ ? "\033[K" : "\n") << std::flush;
}

void ConsoleProgress::finish() {
  update(total_);
  if (interactive_) out_ << "\n" << std::flush;
}

}  // namespace cfx::cli
