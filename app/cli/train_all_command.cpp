#include "train_all_command.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "argument_parser.h"
#include "cft_command.h"
#include "model_bundle.h"
#include "network_commands.h"
#include "runtime_options.h"
#include "scm_commands.h"
#include "stage.h"
#include "validation_error.h"

namespace cfx::cli {
namespace {

namespace fs = std::filesystem;

// One stage: the component it adds, the command that trains it, and its default steps.
struct StageCommand {
  std::string component;
  std::function<int(const std::vector<std::string>&)> run;
  std::vector<std::string> arguments;
  long steps;
};

bool fineTuned(const std::string& modelDir) {
  if (!ModelBundle::hasComponent(modelDir, "hvae")) return false;
  std::ifstream in(fs::path(modelDir) / "model.json");
  const auto json = nlohmann::json::parse(in, nullptr, false);
  return !json.is_discarded() && json["components"]["hvae"]["config"].contains("fine_tuning");
}

// The data fingerprint a trained component of a model folder records, or "" for older folders.
std::string recordedFingerprint(const std::string& modelDir, const std::string& component) {
  std::ifstream in(fs::path(modelDir) / "model.json");
  const auto json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded()) return "";
  const auto& provenance = json["components"][component]["provenance"];
  return provenance.contains("data_fingerprint") ? provenance["data_fingerprint"].get<std::string>()
                                                 : "";
}

// A finished component is reused only when it was trained on the same data.
void checkSameData(const std::string& modelDir, const std::string& component,
                   const std::string& dataDir) {
  const std::string recorded = recordedFingerprint(modelDir, component);
  if (!recorded.empty() && recorded != training::dataFingerprint(dataDir, dataDir + "/graph.json"))
    throw ValidationError(modelDir + "/model.json", component,
                          "was trained on other data than " + dataDir +
                              "; give another --out (or --pretrained) folder to train on these "
                              "data");
}

}  // namespace

int runTrainAll(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx train all",
      "Every stage of a model in order: segmentor, evaluation segmentor, predictors, scalar SCM,\n"
      "HVAE (into the pretrained folder), then counterfactual fine-tuning into MODEL_DIR. A stage\n"
      "whose component exists is skipped; an interrupted stage resumes from its checkpoint, so\n"
      "running the same command again continues where it stopped. The defaults reproduce\n"
      "models/phantom.");
  parser
      .required("data", "DIR",
                "data set at the model's image size (e.g. 128 px; a phantom or an imported one)")
      .option("scm-data", "DIR",
              "data set for the scalar SCM (only the table is used; default DIR)")
      .required("out", "MODEL_DIR", "the fine-tuned model folder")
      .option("pretrained", "DIR",
              "folder for the pretrained stages (default MODEL_DIR-pretrained)")
      .option("guidance", "KIND", "fine-tuning guidance: none, reg, seg or pos-seg", "pos-seg")
      .option("region-layout", "bands|grid",
              "fine-tuning with pos-seg: regions of each structure's own extent, or cells fixed "
              "in the image with a fitted mechanism (an extension)",
              "grid")
      .option("region-grid", "N", "fine-tuning with --region-layout grid: N x N cells", "8")
      .option("region-weight", "W", "fine-tuning with pos-seg: weight of the regional terms", "0.1")
      .option("locality-weight", "W",
              "fine-tuning: weight of the segmentor-mask locality term (an extension; 0 = the "
              "paper's Seg-CFT)",
              "0.6")
      .option("locality-region", "structure|boundary",
              "fine-tuning: where the locality term lets a structure intervention change pixels",
              "boundary")
      .option("locality-interior-weight", "F",
              "fine-tuning: charge for changing the intervened structure's tissue away from its "
              "border, relative to change elsewhere",
              "0.1")
      .option("smoothness-weight", "W",
              "fine-tuning: weight of the change's roughness (an extension; 0 = off)", "0")
      .option("intervention-values", "batch|relative",
              "fine-tuning: continuous interventions from another batch element or as relative "
              "changes (10-30 %)",
              "relative")
      .option("area-targets", "recorded|measured",
              "fine-tuning: structure areas against the recorded values' counterfactuals, or "
              "against the segmentor's reading of the factual image in the intended ratio",
              "recorded")
      .option("steps-scale", "F", "multiply every stage's steps (at least 1 step each)", "1")
      .flag("tiny", "tiny networks (smoke tests only)");
  declareRuntimeOptions(parser, "where to train");
  if (!parser.parse(arguments)) return 0;
  const std::string data = parser.get("data"), out = parser.get("out");
  const std::string scmData = parser.has("scm-data") ? parser.get("scm-data") : data;
  const std::string pretrained =
      parser.has("pretrained") ? parser.get("pretrained") : out + "-pretrained";
  const double scale = parser.getNumber("steps-scale");
  if (!(scale > 0)) throw UsageError("--steps-scale must be positive");
  const bool tiny = parser.has("tiny");
  const std::vector<std::string> runtime = {"--device", parser.get("device"), "--threads",
                                            parser.get("threads")};

  std::vector<StageCommand> stages = {
      {"segmentor",
       runTrainSegmentor,
       {"--data", data, "--out", pretrained, "--batch", "8", "--lr", "3e-3", "--seed", "0"},
       2000},
      {"eval_segmentor",
       runTrainSegmentor,
       {"--data", data, "--out", pretrained, "--component", "eval_segmentor", "--width", "12",
        "--batch", "8", "--lr", "3e-3", "--seed", "1"},
       1500},
      {"predictors",
       runTrainPredictors,
       {"--data", data, "--out", pretrained, "--batch", "16", "--lr", "2e-3", "--seed", "0"},
       2500},
      {"scm", runTrainScm, {"--data", scmData, "--out", pretrained}, 4000},
      {"hvae",
       runTrainHvae,
       {"--data", data, "--out", pretrained, "--batch", "8", "--lr", "1e-3", "--seed", "0"},
       5000},
  };
  if (tiny) {
    stages[0].arguments.insert(stages[0].arguments.end(), {"--width", "4", "--depth", "2"});
    stages[1].arguments = {"--data",  data, "--out",   pretrained, "--component", "eval_segmentor",
                           "--width", "4",  "--depth", "2",        "--seed",      "1"};
    stages[2].arguments.insert(stages[2].arguments.end(), {"--width", "4", "--depth", "2"});
    stages[3].arguments.insert(stages[3].arguments.end(), {"--hidden", "4"});
    stages[4].arguments.insert(stages[4].arguments.end(),
                               {"--architecture", "64b1,16b1,4b1,1b1", "--width", "8", "--latents",
                                "2", "--max-latent-resolution", "16"});
  }
  for (auto& stage : stages) {
    if (ModelBundle::hasComponent(pretrained, stage.component)) {
      checkSameData(pretrained, stage.component, stage.component == "scm" ? scmData : data);
      std::printf("[train all] %s: done already, skipped\n", stage.component.c_str());
      continue;
    }
    std::printf("[train all] %s\n", stage.component.c_str());
    auto args = stage.arguments;
    args.insert(args.end(),
                {"--steps", std::to_string(std::max(1L, std::lround(stage.steps * scale)))});
    if (stage.component == "scm")
      args.insert(args.end(), {"--threads", parser.get("threads")});
    else
      args.insert(args.end(), runtime.begin(), runtime.end());
    const int status = stage.run(args);
    if (status != 0) return status;
  }
  if (fineTuned(out)) {
    checkSameData(out, "hvae", data);
    std::printf("[train all] cft: done already, skipped\n");
  } else {
    std::printf("[train all] cft (%s)\n", parser.get("guidance").c_str());
    std::vector<std::string> args = {"--model",
                                     pretrained,
                                     "--data",
                                     data,
                                     "--guidance",
                                     parser.get("guidance"),
                                     "--out",
                                     out,
                                     "--batch",
                                     "8",
                                     "--lr",
                                     "4e-4",
                                     "--seed",
                                     "0",
                                     "--region-layout",
                                     parser.get("region-layout"),
                                     "--region-grid",
                                     parser.get("region-grid"),
                                     "--region-weight",
                                     parser.get("region-weight"),
                                     "--locality-weight",
                                     parser.get("locality-weight"),
                                     "--locality-region",
                                     parser.get("locality-region"),
                                     "--locality-interior-weight",
                                     parser.get("locality-interior-weight"),
                                     "--smoothness-weight",
                                     parser.get("smoothness-weight"),
                                     "--intervention-values",
                                     parser.get("intervention-values"),
                                     "--area-targets",
                                     parser.get("area-targets"),
                                     "--steps",
                                     std::to_string(std::max(1L, std::lround(3000 * scale)))};
    args.insert(args.end(), runtime.begin(), runtime.end());
    const int status = runTrainCft(args);
    if (status != 0) return status;
  }
  std::printf("[train all] model folder: %s (pretrained stages in %s)\n", out.c_str(),
              pretrained.c_str());
  return 0;
}

}  // namespace cfx::cli
