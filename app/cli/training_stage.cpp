#include "training_stage.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "console_progress.h"
#include "dataset_tensors.h"
#include "device.h"
#include "interrupt.h"
#include "model_bundle.h"
#include "runtime_options.h"

namespace cfx::cli {

void declareStageOptions(ArgumentParser& parser, const char* steps, const char* batch,
                         const char* lr) {
  parser.required("data", "DIR", "data set folder (manifest.csv, graph.json)")
      .option("graph", "FILE", "causal graph (default: DIR/graph.json)")
      .option("size", "PX", "model input size (default: the data set's image size)")
      .option("steps", "N", "optimisation steps", steps)
      .option("batch", "B", "batch size", batch)
      .option("lr", "RATE", "peak learning rate (warm-up, then cosine decay to 5 %)", lr)
      .option("seed", "S", "random seed (weights, batches, augmentation)", "0");
  declareRuntimeOptions(parser, "where to train");
}

Stage prepareStage(const ArgumentParser& parser) {
  const torch::Device device = applyRuntimeOptions(parser);
  const std::string dir = parser.get("data");
  Stage stage{
      device, loadGraphFile(parser.has("graph") ? parser.get("graph") : dir + "/graph.json"),
      {},     0,
      {},     0};
  std::cerr << "device: " << describeDevice(stage.device) << ", " << torch::get_num_threads()
            << " CPU threads\n";
  stage.manifest = io::readManifest(dir + "/manifest.csv", stage.graph);
  stage.size = parser.has("size") ? int(parser.getInteger("size", 16, 4096))
                                  : firstImageSize(stage.manifest, "train");
  TrainingOptions& o = stage.options;
  o.steps = parser.getInteger("steps", 1, 10'000'000);
  o.learningRate = parser.getNumber("lr");
  o.warmupSteps = std::min<int64_t>(100, o.steps / 10 + 1);
  o.finalLearningRateFraction = 0.05;
  o.emaDecay = 0.995;
  o.validateEvery = std::max<int64_t>(1, o.steps / 10);
  o.checkpointEvery = std::max<int64_t>(1, o.steps / 20);
  o.seed = std::uint64_t(parser.getInteger("seed", 0, 1L << 40));
  stage.batch = parser.getInteger("batch", 1, 4096);
  torch::manual_seed(o.seed);  // initial weights
  return stage;
}

ImageSet loadSplit(const Stage& stage, const std::string& split, bool masks) {
  ConsoleProgress progress(std::cerr, "load " + split, long(stage.manifest.split(split).size()),
                           stderrIsTerminal());
  auto set =
      loadImageSet(stage.manifest, stage.graph, split, stage.size, masks, [&](long done, long) {
        if (interruptRequested().load()) throw Interrupted{};
        progress.update(done);
      });
  progress.finish();
  return set;
}

bool runTraining(torch::nn::Module& model, const Stage& stage, TrainingHooks hooks,
                 const std::string& runDir, const char* label) {
  ConsoleProgress progress(std::cerr, label, long(stage.options.steps), stderrIsTerminal());
  hooks.progress = [&](const TrainingProgress& p) {
    char detail[160];
    int used = std::snprintf(detail, sizeof detail, "loss %.4f", p.loss);
    for (const auto& [k, v] : p.validation)
      used += std::snprintf(detail + used, sizeof detail - size_t(used), "  %s %.4f", k.c_str(), v);
    progress.update(long(p.step), detail);
  };
  if (train(model, stage.options, hooks, runDir, &interruptRequested()) ==
      TrainingOutcome::Interrupted) {
    std::cerr << "\ninterrupted; the checkpoint in " << runDir
              << " is complete: run the same command to resume\n";
    return false;
  }
  progress.finish();
  return true;
}

void saveStage(const std::string& modelDir, const std::string& component,
               const nlohmann::json& config, torch::nn::Module& network, const Stage& stage,
               const ArgumentParser& parser, const std::string& command, double seconds,
               const nlohmann::json& validation) {
  ModelBundle::saveComponent(modelDir, component, config, moduleWeights(network),
                             {{"command", command},
                              {"data", std::filesystem::absolute(parser.get("data")).string()},
                              {"training", stage.options.toJson()},
                              {"batch", stage.batch},
                              {"seconds", seconds},
                              {"threads", torch::get_num_threads()},
                              {"device", describeDevice(stage.device)},
                              {"validation", validation}});
}

HvaeLoss hvaeLossOn(HvaeImpl& hvae, const ImageSet& set, const torch::Tensor& parents,
                    const torch::Device& device) {
  torch::NoGradGuard noGrad;
  double nelbo = 0, nll = 0, kl = 0;
  const int64_t n = set.images.size(0);
  for (int64_t start = 0; start < n; start += kEvaluationBatch) {
    const int64_t end = std::min(n, start + kEvaluationBatch);
    const auto l = hvae.loss(set.images.slice(0, start, end).to(device),
                             parents.slice(0, start, end).to(device));
    nelbo += l.nelbo.item<double>() * double(end - start);
    nll += l.nll.item<double>() * double(end - start);
    kl += l.kl.item<double>() * double(end - start);
  }
  return {torch::tensor(nelbo / double(n)), torch::tensor(nll / double(n)),
          torch::tensor(kl / double(n))};
}

torch::Tensor quantise(const torch::Tensor& images) {
  return ((images + 1) * 127.5).round() / 127.5 - 1;
}

}  // namespace cfx::cli
