#include "commands.h"

#include <algorithm>
#include <iostream>

#include "argument_parser.h"
#include "bench_command.h"
#include "cft_command.h"
#include "compare_command.h"
#include "counterfactual_command.h"
#include "data_commands.h"
#include "error_text.h"
#include "evaluate_command.h"
#include "figure_command.h"
#include "interrupt.h"
#include "network_commands.h"
#include "pacs_commands.h"
#include "phantom_commands.h"
#include "scm_commands.h"
#include "train_all_command.h"

namespace cfx::cli {
namespace {

// Subcommands of `cfx train` and `cfx evaluate`: one per model stage.
int dispatch(
    const std::vector<std::string>& arguments, const char* verb,
    const std::vector<std::pair<const char*, int (*)(const std::vector<std::string>&)>>& stages) {
  std::string names;
  for (const auto& [name, run] : stages) {
    if (!arguments.empty() && arguments[0] == name)
      return run({arguments.begin() + 1, arguments.end()});
    names += std::string(names.empty() ? "" : ", ") + name;
  }
  throw UsageError(std::string("expected one of: ") + names + " (cfx " + verb + " VERB --help)");
}

int runTrainCommand(const std::vector<std::string>& arguments) {
  return dispatch(arguments, "train",
                  {{"scm", runTrainScm},
                   {"segmentor", runTrainSegmentor},
                   {"predictors", runTrainPredictors},
                   {"hvae", runTrainHvae},
                   {"cft", runTrainCft},
                   {"all", runTrainAll}});
}

int runEvaluateCommand(const std::vector<std::string>& arguments) {
  // Without a stage name it is the whole counterfactual evaluation.
  if (arguments.empty() || arguments[0].rfind("--", 0) == 0) return runEvaluateSuite(arguments);
  return dispatch(arguments, "evaluate",
                  {{"scm", runEvaluateScm},
                   {"segmentor", runEvaluateSegmentor},
                   {"predictors", runEvaluatePredictors},
                   {"counterfactuals", runEvaluateSuite}});
}

int runPacsCommand(const std::vector<std::string>& arguments) {
  return dispatch(arguments, "pacs",
                  {{"echo", runPacsEcho},
                   {"find", runPacsFind},
                   {"get", runPacsGet},
                   {"store", runPacsStore},
                   {"nodes", runPacsNodes},
                   {"add-node", runPacsAddNode}});
}

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>&);
};

const Command kCommands[] = {
    {"phantom",
     "synthetic chest radiographs with known causal truth (generate, counterfactual, gallery)",
     runPhantomCommand},
    {"counterfactual",
     "the counterfactual of one radiograph under interventions (PNG, DICOM, JSON)",
     runCounterfactualCommand},
    {"pacs", "DICOM networking: echo, find, get and store studies on a PACS; nodes",
     runPacsCommand},
    {"bench", "time abduction, a slider move and training at several sizes, CPU and GPU",
     runBenchCommand},
    {"figure", "reconstructions and counterfactuals for every variable, with difference maps",
     runFigureCommand},
    {"compare", "one table across evaluation reports (none, reg, seg, pos-seg)", runCompareCommand},
    {"data", "data sets: import a public layout, merge, check, to-dicom", runDataCommand},
    {"train",
     "train a model stage into a model folder (scm, segmentor, predictors, hvae, cft, all)",
     runTrainCommand},
    {"evaluate",
     "evaluate counterfactuals into an HTML report, or one stage (scm, segmentor, predictors)",
     runEvaluateCommand},
};

void printOverview(std::ostream& out) {
  out << "usage: cfx COMMAND [options] [--verbose]   (cfx COMMAND --help for its options)\n\n"
         "Counterfactual explorer for chest radiographs (Seg-CFT).\n\ncommands:\n";
  for (const auto& c : kCommands)
    out << "  " << c.name
        << std::string(size_t(std::max(2, 17 - int(std::string(c.name).size()))), ' ') << c.summary
        << "\n";
}

}  // namespace

int runCfx(const std::vector<std::string>& given) {
  // --verbose anywhere: errors keep LibTorch's backtraces (for a bug report).
  std::vector<std::string> arguments;
  bool verbose = false;
  for (const auto& argument : given)
    if (argument == "--verbose")
      verbose = true;
    else
      arguments.push_back(argument);
  if (arguments.empty() || arguments[0] == "--help" || arguments[0] == "-h") {
    printOverview(arguments.empty() ? std::cerr : std::cout);
    return arguments.empty() ? 2 : 0;
  }
  for (const auto& c : kCommands) {
    if (arguments[0] != c.name) continue;
    try {
      return c.run({arguments.begin() + 1, arguments.end()});
    } catch (const UsageError& e) {
      std::cerr << "cfx " << c.name << ": " << e.what() << "\n(see cfx " << c.name << " --help)\n";
      return 2;
    } catch (const Interrupted&) {
      std::cerr << "\ncfx " << c.name << ": interrupted; partial output removed\n";
      return 130;
    } catch (const std::exception& e) {
      std::cerr << "cfx " << c.name << ": error: " << errorText(e, verbose) << "\n";
      return 1;
    }
  }
  std::cerr << "cfx: unknown command '" << arguments[0] << "'\n";
  printOverview(std::cerr);
  return 2;
}

}  // namespace cfx::cli
