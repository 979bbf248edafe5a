#include "stage.h"

#include <torch/torch.h>
#include <cstdio>
#include <filesystem>

#include "atomic_file.h"
#include "dataset_tensors.h"
#include "device.h"
#include "file_limits.h"
#include "model_bundle.h"
#include "sha256.h"
#include "validation_error.h"

namespace cfx::training {

Stage prepareStage(const StageOptions& options, WorkMonitor& monitor) {
  Stage stage;
  stage.device = options.device;
  stage.dataDir = options.dataDir;
  stage.command = options.command;
  const std::string graphPath =
      options.graphPath.empty() ? options.dataDir + "/graph.json" : options.graphPath;
  stage.graph = data::loadGraphFile(graphPath);
  stage.fingerprint = dataFingerprint(options.dataDir, graphPath);
  monitor.note("device: " + describeDevice(stage.device) + ", " +
               std::to_string(torch::get_num_threads()) + " CPU threads");
  stage.manifest = data::readManifest(options.dataDir + "/manifest.csv", stage.graph);
  stage.size = options.size > 0 ? options.size : data::firstImageSize(stage.manifest, "train");
  TrainingOptions& o = stage.options;
  o.steps = options.steps;
  o.learningRate = options.learningRate;
  o.warmupSteps = std::min<int64_t>(100, o.steps / 10 + 1);
  o.finalLearningRateFraction = 0.05;
  o.emaDecay = 0.995;
  o.validateEvery = std::max<int64_t>(1, o.steps / 10);
  o.checkpointEvery = std::max<int64_t>(1, o.steps / 20);
  o.seed = options.seed;
  stage.batch = options.batch;
  torch::manual_seed(o.seed);  // initial weights
  return stage;
}

data::ImageSet loadSplit(const Stage& stage, const std::string& split, bool masks,
                         WorkMonitor& monitor) {
  monitor.begin("load " + split, long(stage.manifest.split(split).size()));
  auto set = data::loadImageSet(stage.manifest, stage.graph, split, stage.size, masks,
                                [&](long done, long) {
                                  monitor.throwIfCancelled();
                                  monitor.update(done);
                                });
  monitor.finish();
  return set;
}

void imputeUnknownAttributes(Stage& stage, data::ImageSet& set, const std::string& split,
                             const std::string& modelDir, WorkMonitor& monitor) {
  const auto imputation = data::imputeFromModelFolder(
      set, stage.graph, modelDir, stage.device, stage.manifest.path + " (" + split + " split)");
  std::string counts;
  for (const auto& [name, count] : imputation.counts)
    if (count > 0) counts += (counts.empty() ? "" : ", ") + name + " " + std::to_string(count);
  if (counts.empty()) return;  // every value was known
  monitor.note(split + ": estimated unknown values (" + counts +
               ") with the segmentor and predictors of " + modelDir);
  stage.imputed[split] = imputation.counts;
}

std::string dataFingerprint(const std::string& dataDir, const std::string& graphPath) {
  Sha256 hash;
  for (const std::string& path : {dataDir + "/manifest.csv", graphPath}) {
    const auto bytes = readFileBytes(path, std::uintmax_t(1) << 30, "a data set file");
    hash.update(bytes.data(), bytes.size());
  }
  return hash.hexDigest();
}

void claimRunFolder(const std::string& runDir, const std::string& fingerprint) {
  namespace fs = std::filesystem;
  const fs::path file = fs::path(runDir) / "data_fingerprint.txt";
  std::error_code error;
  if (fs::exists(file, error)) {
    const auto bytes = readFileBytes(file.string(), 1024, "a fingerprint");
    const std::string recorded(bytes.begin(), bytes.end());
    if (recorded.substr(0, fingerprint.size()) != fingerprint)
      throw ValidationError(runDir, "data_fingerprint.txt",
                            "this checkpoint was trained on other data (another manifest.csv or "
                            "graph.json); train into another folder, or delete " +
                                runDir + " to start over");
    return;
  }
  fs::create_directories(runDir, error);
  const std::string text = fingerprint + "\n";
  io::writeFileAtomically(file.string(), std::vector<unsigned char>(text.begin(), text.end()));
}

bool trainMonitored(torch::nn::Module& model, const TrainingOptions& options,
                    const TrainingHooks& hooks, const std::string& runDir, const std::string& label,
                    WorkMonitor& monitor) {
  monitor.begin(label, long(options.steps));
  if (train(model, options, hooks, runDir, monitor.cancelFlag()) == TrainingOutcome::Interrupted) {
    monitor.note("\ninterrupted; the checkpoint in " + runDir +
                 " is complete: run the same command to resume");
    return false;
  }
  monitor.finish();
  return true;
}

bool runTraining(torch::nn::Module& model, const Stage& stage, TrainingHooks hooks,
                 const std::string& runDir, const std::string& label, WorkMonitor& monitor) {
  hooks.progress = [&](const TrainingProgress& p) {
    char detail[160];
    int used = std::snprintf(detail, sizeof detail, "loss %.4f", p.loss);
    for (const auto& [k, v] : p.validation)
      used += std::snprintf(detail + used, sizeof detail - size_t(used), "  %s %.4f", k.c_str(), v);
    monitor.update(long(p.step), detail);
  };
  claimRunFolder(runDir, stage.fingerprint);
  return trainMonitored(model, stage.options, hooks, runDir, label, monitor);
}

void saveStage(const std::string& modelDir, const std::string& component,
               const nlohmann::json& config, torch::nn::Module& network, const Stage& stage,
               double seconds, const nlohmann::json& validation,
               const nlohmann::json& extraProvenance) {
  nlohmann::json provenance = {
      {"command", stage.command},
      {"data", std::filesystem::absolute(stage.dataDir).string()},
      {"training", stage.options.toJson()},
      {"batch", stage.batch},
      {"seconds", seconds},
      {"threads", torch::get_num_threads()},
      {"device", describeDevice(stage.device)},
      {"validation", validation},
      {"data_fingerprint", stage.fingerprint},
      {"imputed", stage.imputed.is_null() ? nlohmann::json::object() : stage.imputed}};
  provenance.update(extraProvenance);
  ModelBundle::saveComponent(modelDir, component, config, moduleWeights(network), provenance);
}

}  // namespace cfx::training
