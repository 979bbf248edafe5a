#include "predictor_training.h"

#include <torch/torch.h>
#include <chrono>

#include "augmentation.h"
#include "hvae_scoring.h"
#include "network_scores.h"
#include "predictor.h"
#include "text_format.h"
#include "validation_error.h"

namespace cfx::training {

StageResult trainPredictors(const PredictorTrainingOptions& options, WorkMonitor& monitor) {
  Stage stage = prepareStage(options.stage, monitor);
  const data::ImageSet trainSet = loadSplit(stage, "train", false, monitor),
                       valSet = loadSplit(stage, "val", false, monitor);
  PredictorConfig config;
  config.size = stage.size;
  config.width = options.width;
  config.depth = options.depth;
  for (size_t v = 0; v < stage.graph.variables().size(); ++v) {
    const Variable& variable = stage.graph.variables()[v];
    const auto all = trainSet.attributes.select(1, int64_t(v)).to(torch::kFloat64);
    const auto column = all.masked_select(~torch::isnan(all));
    if (variable.kind == VariableKind::Categorical) continue;  // not supported by this head
    if (column.numel() < 2)
      throw ValidationError(stage.manifest.path, variable.name,
                            "fewer than 2 training rows know this variable; a predictor cannot "
                            "learn it");
    config.targets.push_back({variable.name, variable.kind == VariableKind::Binary,
                              column.mean().item<double>(),
                              std::max(column.std().item<double>(), 1e-6)});
  }
  Predictor predictor(config);
  predictor->to(stage.device);
  std::vector<int64_t> columns;
  for (const auto& t : config.targets) columns.push_back(int64_t(*stage.graph.indexOf(t.name)));
  const auto targetIndex = torch::tensor(columns, torch::kInt64);
  const auto trainTargets = trainSet.attributes.index_select(1, targetIndex);
  const auto valTargets = valSet.attributes.index_select(1, targetIndex);
  AugmentationOptions augmentation;
  augmentation.maxRotation = 0;
  augmentation.maxScale = 0;
  augmentation.maxShift = 0.01;

  TrainingHooks hooks;
  hooks.step = [&](int64_t, at::Generator& g) {
    const auto index = torch::randint(trainSet.images.size(0), {stage.batch}, g, torch::kInt64);
    const auto images =
        augment(trainSet.images.index_select(0, index).to(stage.device), {}, augmentation, g).first;
    return StepResult{predictor->loss(predictor->forward(images),
                                      trainTargets.index_select(0, index).to(stage.device)),
                      {}};
  };
  hooks.validate = [&] {
    torch::NoGradGuard noGrad;
    double total = 0.0;
    const int64_t n = valSet.images.size(0);
    for (int64_t start = 0; start < n; start += kEvaluationBatch) {
      const int64_t end = std::min(n, start + kEvaluationBatch);
      total += predictor
                   ->loss(predictor->forward(valSet.images.slice(0, start, end).to(stage.device)),
                          valTargets.slice(0, start, end).to(stage.device))
                   .item<double>() *
               double(end - start);
    }
    predictor->train();
    return std::map<std::string, double>{{"val_loss", total / double(n)}};
  };
  StageResult result;
  const auto start = std::chrono::steady_clock::now();
  if (!runTraining(*predictor, stage, hooks, options.modelDir + "/runs/predictors",
                   "train predictors", monitor))
    return result;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto scores = evaluation::scorePredictor(*predictor, valSet, stage.graph, stage.device);
  result.report = evaluation::predictionTable(scores, valSet.images.size(0), "val");
  saveStage(options.modelDir, "predictors", config.toJson(), *predictor, stage, result.seconds,
            evaluation::predictionJson(scores));
  result.report += formatText("saved predictors to %s/model.json (%.0f s)\n",
                              options.modelDir.c_str(), result.seconds);
  result.completed = true;
  return result;
}

}  // namespace cfx::training
