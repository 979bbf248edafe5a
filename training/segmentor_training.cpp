#include "segmentor_training.h"

#include <torch/torch.h>
#include <chrono>

#include "augmentation.h"
#include "network_scores.h"
#include "segmentor.h"
#include "text_format.h"
#include "validation_error.h"

namespace cfx::training {
namespace {

std::vector<SegmentedStructure> structuresOf(const CausalGraph& graph) {
  std::vector<SegmentedStructure> structures;
  for (const auto& v : graph.variables())
    if (v.maskLabel) structures.push_back({v.name, *v.maskLabel});
  if (structures.empty())
    throw ValidationError("graph", "variables", "no variable has a mask_label: nothing to segment");
  return structures;
}

}  // namespace

StageResult trainSegmentor(const SegmentorTrainingOptions& options, WorkMonitor& monitor) {
  Stage stage = prepareStage(options.stage, monitor);
  SegmentorConfig config;
  config.structures = structuresOf(stage.graph);
  config.size = stage.size;
  config.regionBands = options.regionBands;
  config.unet.classes = int64_t(config.structures.size()) + 1;
  config.unet.width = options.width;
  config.unet.depth = options.depth;
  if (stage.size % (1 << (config.unet.depth - 1)) != 0)
    throw ValidationError("cfx train segmentor", "--size", "must be divisible by 2^(depth-1)");
  Segmentor segmentor(config);
  segmentor->to(stage.device);
  const data::ImageSet trainSet = loadSplit(stage, "train", true, monitor),
                       valSet = loadSplit(stage, "val", true, monitor);
  const auto trainClasses = segmentor->classIndices(trainSet.labels);
  const auto trainLabelled = segmentor->labelledClasses(trainSet.attributes, stage.graph);
  // Validation during training on at most 64 images spread over the split (a split's rows may
  // come grouped by source data set, and not every source labels every structure).
  const auto spread = torch::linspace(0, double(valSet.images.size(0) - 1),
                                      std::min<int64_t>(64, valSet.images.size(0)))
                          .round()
                          .to(torch::kInt64);
  const data::ImageSet valSubset{{},
                                 valSet.images.index_select(0, spread),
                                 valSet.labels.index_select(0, spread),
                                 valSet.attributes.index_select(0, spread)};
  TrainingHooks hooks;
  hooks.step = [&](int64_t, at::Generator& g) {
    const auto index = torch::randint(trainSet.images.size(0), {stage.batch}, g, torch::kInt64);
    const auto [images, classes] =
        augment(trainSet.images.index_select(0, index).to(stage.device),
                trainClasses.index_select(0, index).to(stage.device), AugmentationOptions{}, g);
    const auto labelled = trainLabelled.index_select(0, index).to(stage.device);
    const auto logits = segmentor->logits(images);
    const auto crossEntropy = partialCrossEntropy(logits, classes, labelled);
    const auto dice = softDice(torch::softmax(logits, 1), classes, labelled);
    return StepResult{
        crossEntropy + (1 - dice),
        {{"cross_entropy", crossEntropy.item<double>()}, {"soft_dice", dice.item<double>()}}};
  };
  hooks.validate = [&] {
    const auto scores =
        evaluation::scoreSegmentor(*segmentor, valSubset, stage.graph, stage.device);
    segmentor->train();
    double sum = 0.0;
    int counted = 0;
    for (size_t k = 0; k < scores.dice.size(); ++k)
      if (scores.labelledImages[k] > 0) sum += scores.dice[k], ++counted;
    return std::map<std::string, double>{{"val_dice", counted ? sum / counted : 0.0}};
  };
  StageResult result;
  const auto start = std::chrono::steady_clock::now();
  if (!runTraining(*segmentor, stage, hooks, options.modelDir + "/runs/" + options.component,
                   "train segmentor", monitor))
    return result;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto scores = evaluation::scoreSegmentor(*segmentor, valSet, stage.graph, stage.device);
  result.report = evaluation::segmentationTable(*segmentor, scores, valSet.images.size(0), "val");
  saveStage(options.modelDir, options.component, config.toJson(), *segmentor, stage, result.seconds,
            evaluation::segmentationJson(*segmentor, scores));
  result.report += formatText("saved %s to %s/model.json (%.0f s)\n", options.component.c_str(),
                              options.modelDir.c_str(), result.seconds);
  result.completed = true;
  return result;
}

}  // namespace cfx::training
