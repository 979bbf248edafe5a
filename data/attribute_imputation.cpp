#include "attribute_imputation.h"

#include <torch/torch.h>
#include <algorithm>
#include <optional>

#include "hvae_scoring.h"
#include "model_bundle.h"
#include "validation_error.h"

namespace cfx::data {
namespace {

// The column of `name` among a network's outputs, or none.
template <typename List, typename Name>
std::optional<int64_t> columnOf(const List& list, const std::string& name, Name nameOf) {
  for (size_t i = 0; i < list.size(); ++i)
    if (nameOf(list[i]) == name) return int64_t(i);
  return std::nullopt;
}

// Runs `estimate` over the images in evaluation batches and concatenates its [n, K] outputs.
template <typename Estimate>
torch::Tensor overImages(const torch::Tensor& images, const torch::Device& device,
                         Estimate estimate) {
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < images.size(0); start += kEvaluationBatch)
    parts.push_back(
        estimate(
            images.slice(0, start, std::min(images.size(0), start + kEvaluationBatch)).to(device))
            .cpu());
  return torch::cat(parts, 0);
}

}  // namespace

Imputation imputeUnknownAttributes(ImageSet& set, const CausalGraph& graph,
                                   SegmentorImpl* segmentor, PredictorImpl* predictors,
                                   const torch::Device& device, const std::string& source) {
  c10::InferenceMode inference;
  Imputation result;
  result.imputed = torch::isnan(set.attributes);
  torch::Tensor areas, predicted;  // computed on first need
  const auto& variables = graph.variables();
  for (size_t v = 0; v < variables.size(); ++v) {
    const Variable& variable = variables[v];
    const auto missing = result.imputed.select(1, int64_t(v));
    const long count = long(missing.sum().item<int64_t>());
    result.counts[variable.name] = count;
    if (count == 0) continue;
    torch::Tensor estimate;
    if (variable.maskLabel) {
      const auto column = segmentor
                              ? columnOf(segmentor->config().structures, variable.name,
                                         [](const SegmentedStructure& s) { return s.variable; })
                              : std::nullopt;
      if (!column)
        throw ValidationError(source, variable.name,
                              std::to_string(count) +
                                  " images have no value; estimating it needs a segmentor that "
                                  "segments it (train the segmentor into the model folder first)");
      if (!areas.defined())
        areas = overImages(set.images, device, [&](const torch::Tensor& batch) {
          return SegmentorImpl::softAreas(segmentor->probabilities(batch));
        });
      estimate = areas.select(1, *column);
    } else {
      const auto column = predictors ? columnOf(predictors->config().targets, variable.name,
                                                [](const PredictedVariable& t) { return t.name; })
                                     : std::nullopt;
      if (!column)
        throw ValidationError(source, variable.name,
                              std::to_string(count) +
                                  " images have no value; estimating it needs predictors that "
                                  "predict it (train the predictors into the model folder first)");
      if (!predicted.defined())
        predicted = overImages(set.images, device, [&](const torch::Tensor& batch) {
          return predictors->estimate(batch, graph);
        });
      estimate = predicted.select(1, *column);
    }
    estimate = estimate.to(set.attributes.dtype()).clamp(variable.min, variable.max);
    set.attributes.select(1, int64_t(v))
        .copy_(torch::where(missing, estimate, set.attributes.select(1, int64_t(v))));
  }
  return result;
}

Imputation imputeFromModelFolder(ImageSet& set, const CausalGraph& graph,
                                 const std::string& modelDir, const torch::Device& device,
                                 const std::string& source) {
  if (!torch::isnan(set.attributes).any().item<bool>())
    return {torch::zeros_like(set.attributes, torch::kBool), {}};
  Segmentor segmentor{nullptr};
  Predictor predictors{nullptr};
  if (ModelBundle::hasComponent(modelDir, "segmentor")) {
    segmentor = loadSegmentor(modelDir, "segmentor");
    segmentor->to(device);
  }
  if (ModelBundle::hasComponent(modelDir, "predictors")) {
    predictors = loadPredictor(modelDir);
    predictors->to(device);
  }
  return imputeUnknownAttributes(set, graph, segmentor.get(), predictors.get(), device, source);
}

}  // namespace cfx::data
