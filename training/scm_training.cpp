#include "scm_training.h"

#include <torch/torch.h>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "dataset_tensors.h"
#include "model_bundle.h"
#include "text_format.h"

namespace cfx::training {

StageResult trainScm(const ScmTrainingOptions& options, WorkMonitor& monitor) {
  const CausalGraph graph = data::loadGraphFile(
      options.graphPath.empty() ? options.dataDir + "/graph.json" : options.graphPath);
  const data::Manifest manifest = data::readManifest(options.dataDir + "/manifest.csv", graph);
  const auto trainSet = data::attributeTensor(manifest, graph, "train");
  const auto validation = data::attributeTensor(manifest, graph, "val");

  torch::manual_seed(options.seed);  // initial weights
  ScalarScm scm(graph, options.network, ScalarScmImpl::computeStatistics(graph, trainSet));

  TrainingOptions schedule;
  schedule.steps = options.steps;
  schedule.learningRate = options.learningRate;
  schedule.warmupSteps = std::min<int64_t>(200, schedule.steps / 10 + 1);
  schedule.finalLearningRateFraction = 0.02;
  schedule.emaDecay = 0.99;
  schedule.weightDecay = 1e-4;
  schedule.validateEvery = std::max<int64_t>(1, schedule.steps / 10);
  schedule.checkpointEvery = std::max<int64_t>(1, schedule.steps / 20);
  schedule.seed = options.seed;
  const int64_t batch = options.batch;

  TrainingHooks hooks;
  hooks.step = [&](int64_t, at::Generator& g) {
    const auto index = torch::randint(trainSet.size(0), {batch}, g, torch::kInt64);
    return StepResult{-scm->logProb(trainSet.index_select(0, index)).sum(1).mean(), {}};
  };
  hooks.validate = [&] {
    torch::NoGradGuard noGrad;
    return std::map<std::string, double>{
        {"val_log_likelihood", scm->logProb(validation).sum(1).mean().item<double>()}};
  };
  hooks.progress = [&](const TrainingProgress& p) {
    char detail[96];
    std::snprintf(detail, sizeof detail, "nll %.3f", p.loss);
    monitor.update(long(p.step), detail);
  };
  StageResult result;
  const auto start = std::chrono::steady_clock::now();
  const std::string runDir = options.modelDir + "/runs/scm";
  if (!trainMonitored(*scm, schedule, hooks, runDir, "train scm", monitor)) return result;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  torch::NoGradGuard noGrad;
  scm->eval();
  nlohmann::json heldOut;
  result.report =
      formatText("held-out log-likelihood per subject (nats; natural units)\n%-18s %12s %12s\n",
                 "variable", "val", "test");
  const auto test = data::attributeTensor(manifest, graph, "test");
  const auto valLl = scm->logProb(validation).mean(0), testLl = scm->logProb(test).mean(0);
  for (size_t v = 0; v < graph.variables().size(); ++v) {
    const auto& name = graph.variables()[v].name;
    result.report +=
        formatText("%-18s %12.4f %12.4f\n", name.c_str(), valLl[int64_t(v)].item<double>(),
                   testLl[int64_t(v)].item<double>());
    heldOut[name] = {{"val", valLl[int64_t(v)].item<double>()},
                     {"test", testLl[int64_t(v)].item<double>()}};
  }
  result.report += formatText("%-18s %12.4f %12.4f\n", "total", valLl.sum().item<double>(),
                              testLl.sum().item<double>());
  ModelBundle::saveComponent(options.modelDir, "scm", scm->toJson(), moduleWeights(*scm),
                             {{"command", options.command},
                              {"data", std::filesystem::absolute(options.dataDir).string()},
                              {"training", schedule.toJson()},
                              {"batch", batch},
                              {"train_subjects", trainSet.size(0)},
                              {"seconds", result.seconds},
                              {"held_out_log_likelihood", heldOut}});
  result.report += formatText("saved the SCM to %s/model.json (%.1f s)\n", options.modelDir.c_str(),
                              result.seconds);
  result.completed = true;
  return result;
}

}  // namespace cfx::training
