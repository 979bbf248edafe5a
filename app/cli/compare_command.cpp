#include "compare_command.h"

#include <cstdio>

#include "argument_parser.h"
#include "atomic_file.h"
#include "report_comparison.h"

namespace cfx::cli {

int runCompareCommand(const std::vector<std::string>& arguments) {
  ArgumentParser parser("cfx compare",
                        "One Markdown table of the headline metrics of several `cfx evaluate` "
                        "reports (same data, seed and interventions expected; checked).");
  parser.positional("REPORT_DIR", "report folders written by cfx evaluate", true)
      .option("out", "FILE", "also write the table to this Markdown file");
  if (!parser.parse(arguments)) return 0;
  const auto dirs = parser.positionals();
  if (dirs.empty()) throw UsageError("cfx compare: give at least one REPORT_DIR");
  const std::string table = evaluation::compareReports(dirs);
  std::fputs(table.c_str(), stdout);
  if (parser.has("out"))
    io::writeFileAtomically(parser.get("out"),
                            std::vector<unsigned char>(table.begin(), table.end()));
  return 0;
}

}  // namespace cfx::cli
