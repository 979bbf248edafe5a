#include "data_commands.h"

#include <cstdio>

#include "argument_parser.h"
#include "console_monitor.h"
#include "dataset_check.h"

namespace cfx::cli {
namespace {

int check(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx data check",
      "Check a data set: every image and mask readable and of one size, and every structure\n"
      "variable (a graph variable with a mask_label) equal to its mask's area. Prints the worst\n"
      "relative area error per structure; exits 1 when it exceeds --tolerance.");
  parser.required("data", "DIR", "data set folder (manifest.csv, graph.json)")
      .option("graph", "FILE", "causal graph (default: DIR/graph.json)")
      .option("tolerance", "PERCENT", "largest allowed relative area error", "0.5");
  if (!parser.parse(arguments)) return 0;
  const double tolerance = parser.getNumber("tolerance") / 100.0;
  ConsoleMonitor monitor;
  const data::DatasetCheck check = data::checkDataset(
      parser.get("data"), parser.has("graph") ? parser.get("graph") : "", monitor);
  std::printf("%zu rows, %ld with masks\nknown values:", check.rows, check.rowsWithMasks);
  for (const auto& [name, count] : check.known) std::printf(" %s %ld", name.c_str(), count);
  std::printf("\n");
  bool ok = true;
  if (!check.structures.empty()) {
    std::printf("%-18s %9s %16s %16s  %s\n", "structure", "labelled", "mean rel. error",
                "worst rel. error", "worst id");
    for (const auto& s : check.structures) {
      std::printf("%-18s %9ld %15.4f%% %15.4f%%  %s\n", s.variable.c_str(), s.labelledRows,
                  100.0 * s.meanRelativeError,
                  100.0 * s.worstRelativeError, s.worstId.c_str());
      ok = ok && s.worstRelativeError <= tolerance;
    }
  }
  std::printf("%s\n",
              ok ? "OK" : "FAILED: an area differs from its mask by more than the tolerance");
  return ok ? 0 : 1;
}

}  // namespace

int runDataCommand(const std::vector<std::string>& arguments) {
  if (!arguments.empty() && arguments[0] == "check")
    return check({arguments.begin() + 1, arguments.end()});
  throw UsageError("expected a subcommand: cfx data check --help");
}

}  // namespace cfx::cli
