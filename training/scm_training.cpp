#include "scm_training.h"

#include <torch/torch.h>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <tuple>

#include "dataset_tensors.h"
#include "image_set.h"
#include "model_bundle.h"
#include "stage.h"
#include "text_format.h"

namespace cfx::training {

StageResult trainScm(const ScmTrainingOptions& options, WorkMonitor& monitor) {
  const CausalGraph graph = data::loadGraphFile(
      options.graphPath.empty() ? options.dataDir + "/graph.json" : options.graphPath);
  const data::Manifest manifest = data::readManifest(options.dataDir + "/manifest.csv", graph);
  const bool hasTest = !manifest.split("test").empty();
  // A mechanism learns from the rows that observe its variable. Where a parent is unknown (a data
  // set with heart masks but no ages beside one with ages but no heart masks has no row with
  // both), it is estimated from the image by the model folder's segmentor and predictors; rows
  // are only left out when nothing unknown can be estimated because no value is missing.
  Stage stage;
  stage.graph = graph;
  stage.manifest = manifest;
  stage.dataDir = options.dataDir;
  const auto table = [&](const std::string& split) {
    auto values = data::attributeTensor(manifest, graph, split);
    const auto observed = ~torch::isnan(values);
    if (observed.all().item<bool>()) return std::make_pair(values, observed);
    stage.size = data::firstImageSize(manifest, split);
    data::ImageSet set = loadSplit(stage, split, false, monitor);
    imputeUnknownAttributes(stage, set, split, options.modelDir, monitor);
    return std::make_pair(set.attributes, observed);
  };
  torch::Tensor trainSet, trainObserved, validation, validationObserved;
  std::tie(trainSet, trainObserved) = table("train");
  std::tie(validation, validationObserved) = table("val");

  torch::manual_seed(options.seed);  // initial weights
  // Statistics of the observed values only: estimates do not set the normalisation.
  ScalarScm scm(
      graph, options.network,
      ScalarScmImpl::computeStatistics(
          graph, torch::where(trainObserved, trainSet, torch::full_like(trainSet, std::nan("")))));

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
  // Per variable, the mean log-likelihood over the rows where its mechanism can be evaluated
  // (the variable and its parents known): [V].
  const auto meanLogLikelihood = [&](const torch::Tensor& values, const torch::Tensor& observed) {
    const auto partial = scm->partialLogProb(values, observed);
    return partial.logProb.sum(0) / partial.usable.sum(0).clamp_min(1).to(torch::kFloat32);
  };

  TrainingHooks hooks;
  hooks.step = [&](int64_t, at::Generator& g) {
    const auto index = torch::randint(trainSet.size(0), {batch}, g, torch::kInt64);
    return StepResult{
        -meanLogLikelihood(trainSet.index_select(0, index), trainObserved.index_select(0, index))
             .sum(),
        {}};
  };
  hooks.validate = [&] {
    torch::NoGradGuard noGrad;
    return std::map<std::string, double>{
        {"val_log_likelihood",
         meanLogLikelihood(validation, validationObserved).sum().item<double>()}};
  };
  hooks.progress = [&](const TrainingProgress& p) {
    char detail[96];
    std::snprintf(detail, sizeof detail, "nll %.3f", p.loss);
    monitor.update(long(p.step), detail);
  };
  StageResult result;
  const auto start = std::chrono::steady_clock::now();
  const std::string runDir = options.modelDir + "/runs/scm";
  const std::string fingerprint =
      dataFingerprint(options.dataDir, options.graphPath.empty() ? options.dataDir + "/graph.json"
                                                                 : options.graphPath);
  claimRunFolder(runDir, fingerprint);
  if (!trainMonitored(*scm, schedule, hooks, runDir, "train scm", monitor)) return result;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  torch::NoGradGuard noGrad;
  scm->eval();
  nlohmann::json heldOut;
  result.report =
      formatText("held-out log-likelihood per subject (nats; natural units)\n%-18s %12s %12s\n",
                 "variable", "val", "test");
  // The test split is optional: without one its column reads n/a.
  const auto valLl = meanLogLikelihood(validation, validationObserved);
  torch::Tensor testLl;
  if (hasTest) {
    const auto [test, testObserved] = table("test");
    testLl = meanLogLikelihood(test, testObserved);
  }
  const auto cell = [&](const torch::Tensor& values, int64_t v) {
    return values.defined() ? formatText("%12.4f", values[v].item<double>())
                            : formatText("%12s", "n/a");
  };
  for (size_t v = 0; v < graph.variables().size(); ++v) {
    const auto& name = graph.variables()[v].name;
    result.report += formatText("%-18s %s %s\n", name.c_str(), cell(valLl, int64_t(v)).c_str(),
                                cell(testLl, int64_t(v)).c_str());
    heldOut[name] = {{"val", valLl[int64_t(v)].item<double>()}};
    if (hasTest) heldOut[name]["test"] = testLl[int64_t(v)].item<double>();
  }
  const auto total = [](const torch::Tensor& values) {
    return values.defined() ? values.sum().reshape({1}) : values;
  };
  result.report += formatText("%-18s %s %s\n", "total", cell(total(valLl), 0).c_str(),
                              cell(total(testLl), 0).c_str());
  ModelBundle::saveComponent(
      options.modelDir, "scm", scm->toJson(), moduleWeights(*scm),
      {{"command", options.command},
       {"data", std::filesystem::absolute(options.dataDir).string()},
       {"training", schedule.toJson()},
       {"batch", batch},
       {"train_subjects", trainSet.size(0)},
       {"seconds", result.seconds},
       {"held_out_log_likelihood", heldOut},
       {"data_fingerprint", fingerprint},
       {"imputed", stage.imputed.is_null() ? nlohmann::json::object() : stage.imputed}});
  result.report += formatText("saved the SCM to %s/model.json (%.1f s)\n", options.modelDir.c_str(),
                              result.seconds);
  result.completed = true;
  return result;
}

}  // namespace cfx::training
