#pragma once

#include <torch/nn/module.h>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "attribute_imputation.h"
#include "causal_graph.h"
#include "image_set.h"
#include "manifest.h"
#include "trainer.h"
#include "work_monitor.h"

namespace cfx::training {

// What a front end says about an image-network stage: its data, schedule and device.
struct StageOptions {
  std::string dataDir;
  std::string graphPath;  // empty: dataDir/graph.json
  int size = 0;           // model input size; 0: the size of the first training image
  int64_t steps = 0;
  int64_t batch = 0;
  double learningRate = 0;
  std::uint64_t seed = 0;
  torch::Device device = torch::kCPU;
  std::string command;  // as typed, recorded with the trained component
};

// What every training stage of an image network shares: device, graph, data, schedule, batch.
struct Stage {
  torch::Device device = torch::kCPU;
  CausalGraph graph;
  data::Manifest manifest;
  int size = 0;
  TrainingOptions options;
  int64_t batch = 0;
  std::string dataDir, command;
  nlohmann::json imputed;   // per split, how many values of each variable were estimated
  std::string fingerprint;  // dataFingerprint of the stage's data
};

// Reads the graph and the manifest and sets the shared schedule (warm-up, EMA, validation and
// checkpoint intervals); seeds LibTorch for the initial weights.
Stage prepareStage(const StageOptions& options, WorkMonitor& monitor);
data::ImageSet loadSplit(const Stage& stage, const std::string& split, bool masks,
                         WorkMonitor& monitor);
// For stages that need every attribute of every image: fills the unknown ones of `set` (a split
// of the stage's data) with the segmentor and predictors of `modelDir`, notes how many, and keeps
// the counts for the component's provenance.
void imputeUnknownAttributes(Stage& stage, data::ImageSet& set, const std::string& split,
                             const std::string& modelDir, WorkMonitor& monitor);
// What identifies a stage's data: the SHA-256 of its manifest.csv and graph.json together (the
// manifest names every image and value). Recorded with each checkpoint and trained component.
std::string dataFingerprint(const std::string& dataDir, const std::string& graphPath);
// Before training into `runDir`: a checkpoint there made from other data is refused (with what
// to do), since resuming it would silently mix two data sets; otherwise the fingerprint is kept.
void claimRunFolder(const std::string& runDir, const std::string& fingerprint);
// The training loop under `monitor`: one progress task (hooks.progress updates it), the monitor's
// cancel flag, and on interruption a note that says how to resume. False when interrupted (the
// checkpoint is then complete).
bool trainMonitored(torch::nn::Module& model, const TrainingOptions& options,
                    const TrainingHooks& hooks, const std::string& runDir, const std::string& label,
                    WorkMonitor& monitor);
// trainMonitored with the stage's schedule and the loss and validation figures as progress.
bool runTraining(torch::nn::Module& model, const Stage& stage, TrainingHooks hooks,
                 const std::string& runDir, const std::string& label, WorkMonitor& monitor);
// Adds a trained network to the model folder with what is needed to reproduce and judge it.
void saveStage(const std::string& modelDir, const std::string& component,
               const nlohmann::json& config, torch::nn::Module& network, const Stage& stage,
               double seconds, const nlohmann::json& validation,
               const nlohmann::json& extraProvenance = nlohmann::json::object());

// What a finished (or interrupted) stage reports: the tables it measured, for the front end to
// show, and where the model went.
struct StageResult {
  bool completed = false;  // false: interrupted, the checkpoint is complete
  double seconds = 0;
  std::string report;  // the stage's tables, as text
};

}  // namespace cfx::training
