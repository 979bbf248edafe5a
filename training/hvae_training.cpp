#include "hvae_training.h"

#include <torch/torch.h>
#include <chrono>
#include <cmath>

#include "hvae_scoring.h"
#include "image_mechanism.h"
#include "parent_encoding.h"
#include "text_format.h"
#include "validation_error.h"

namespace cfx::training {

StageResult trainHvae(const HvaeTrainingOptions& options, WorkMonitor& monitor) {
  Stage stage = prepareStage(options.stage, monitor);
  stage.options.emaDecay = 0.999;
  stage.options.skipGradNorm = 400;
  stage.options.clipGradNorm = 200;
  data::ImageSet trainSet = loadSplit(stage, "train", false, monitor),
                 valSet = loadSplit(stage, "val", false, monitor);
  imputeUnknownAttributes(stage, trainSet, "train", options.modelDir, monitor);
  imputeUnknownAttributes(stage, valSet, "val", options.modelDir, monitor);
  const ParentEncoding encoding = ParentEncoding::fit(stage.graph, trainSet.attributes);
  const auto trainImages = quantise(trainSet.images), valImages = quantise(valSet.images);
  const auto trainParents = encoding.encode(trainSet.attributes, stage.graph);
  const auto valParents = encoding.encode(valSet.attributes, stage.graph);

  HvaeConfig config = options.network;
  config.parents = encoding.size();
  if (config.stages().front().resolution != stage.size)
    throw ValidationError("cfx train hvae", "--architecture",
                          "its first stage must be the image size " + std::to_string(stage.size));
  Hvae hvae(config);
  hvae->to(stage.device);
  hvae->setComputeType(computeType(options.precision));

  TrainingHooks hooks;
  hooks.step = [&](int64_t, at::Generator& g) {
    const auto index = torch::randint(trainImages.size(0), {stage.batch}, g, torch::kInt64);
    const auto loss = hvae->loss(trainImages.index_select(0, index).to(stage.device),
                                 trainParents.index_select(0, index).to(stage.device));
    return StepResult{loss.nelbo,
                      {{"nll", loss.nll.item<double>()}, {"kl", loss.kl.item<double>()}}};
  };
  hooks.validate = [&] {
    const auto l = hvaeLossOn(*hvae, valImages, valParents, stage.device);
    hvae->train();
    return std::map<std::string, double>{{"val_bits_per_dim", l.bitsPerDim()}};
  };
  StageResult result;
  const auto start = std::chrono::steady_clock::now();
  if (!runTraining(*hvae, stage, hooks, options.modelDir + "/runs/hvae", "train hvae", monitor))
    return result;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<std::pair<std::string, HvaeLoss>> losses = {
      {"val", hvaeLossOn(*hvae, valImages, valParents, stage.device)}};
  if (!stage.manifest.split("test").empty()) {  // the test split is optional
    data::ImageSet testSet = loadSplit(stage, "test", false, monitor);
    imputeUnknownAttributes(stage, testSet, "test", options.modelDir, monitor);
    losses.emplace_back("test",
                        hvaeLossOn(*hvae, quantise(testSet.images),
                                   encoding.encode(testSet.attributes, stage.graph), stage.device));
  }
  result.report =
      formatText("%-6s %14s %14s %14s\n", "split", "NELBO bits/dim", "NLL bits/dim", "KL bits/dim");
  nlohmann::json json;
  for (const auto& [name, l] : losses) {
    result.report +=
        formatText("%-6s %14.4f %14.4f %14.4f\n", name.c_str(), l.bitsPerDim(),
                   l.nll.item<double>() / std::log(2.0), l.kl.item<double>() / std::log(2.0));
    json[name + "_bits_per_dim"] = l.bitsPerDim();
    json[name + "_nelbo_nats_per_dim"] = l.nelbo.item<double>();
  }
  saveStage(options.modelDir, "hvae", imageMechanismConfig(config, encoding, stage.size), *hvae,
            stage, result.seconds, json);
  result.report += formatText("saved hvae to %s/model.json (%.0f s)\n", options.modelDir.c_str(),
                              result.seconds);
  result.completed = true;
  return result;
}

}  // namespace cfx::training
