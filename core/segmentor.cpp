#include "segmentor.h"

#include <limits>
#include <stdexcept>

#include "json_fields.h"
#include "label_regions.h"
#include "model_bundle.h"
#include "validation_error.h"

namespace cfx {

nlohmann::json SegmentorConfig::toJson() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : structures) list.push_back({{"variable", s.variable}, {"label", s.label}});
  return {
      {"unet", unet.toJson()}, {"size", size}, {"structures", list}, {"region_bands", regionBands}};
}

SegmentorConfig SegmentorConfig::fromJson(const nlohmann::json& json, const std::string& source) {
  SegmentorConfig c;
  if (!json.contains("unet")) throw ValidationError(source, "segmentor.unet", "missing");
  c.unet = UNetConfig::fromJson(json.at("unet"), source);
  c.size = jsonField<int64_t>(json, "size", source, "segmentor");
  c.regionBands = jsonField<int64_t>(json, "region_bands", 3, source, "segmentor");
  checkRange(c.size, 8, 1024, source, "segmentor.size");
  checkRange(c.regionBands, 1, 64, source, "segmentor.region_bands");
  if (!json.contains("structures") || !json.at("structures").is_array())
    throw ValidationError(source, "segmentor.structures",
                          "missing; expected [{variable, label}, ...]");
  for (const auto& s : json.at("structures"))
    c.structures.push_back({jsonField<std::string>(s, "variable", source, "segmentor.structures"),
                            jsonField<int>(s, "label", source, "segmentor.structures")});
  if (int64_t(c.structures.size()) + 1 != c.unet.classes)
    throw ValidationError(source, "segmentor.unet.classes", "expected structures + 1 (background)");
  return c;
}

SegmentorImpl::SegmentorImpl(SegmentorConfig config) : config_(std::move(config)) {
  unet_ = register_module("unet", UNet(config_.unet));
}

torch::Tensor SegmentorImpl::logits(const torch::Tensor& images) {
  return unet_(images);
}

torch::Tensor SegmentorImpl::features(const torch::Tensor& images) {
  return unet_->pooledEncoderFeatures(images);
}

torch::Tensor SegmentorImpl::probabilities(const torch::Tensor& images) {
  return torch::softmax(logits(images), 1);
}

torch::Tensor SegmentorImpl::softAreas(const torch::Tensor& probabilities) {
  return 100.0 * probabilities.slice(1, 1).mean({2, 3});
}

torch::Tensor SegmentorImpl::labelMaps(const torch::Tensor& probabilities) const {
  const auto index = probabilities.argmax(1);
  auto labels = torch::zeros_like(index);
  std::vector<int> structureLabels;
  for (size_t k = 0; k < config_.structures.size(); ++k) {
    labels.masked_fill_(index == int64_t(k + 1), int64_t(config_.structures[k].label));
    structureLabels.push_back(config_.structures[k].label);
  }
  return dropSpecksAndFillHoles(labels.to(torch::kUInt8).cpu(), structureLabels);
}

torch::Tensor SegmentorImpl::classIndices(const torch::Tensor& labelMaps) const {
  const auto labels = labelMaps.to(torch::kInt64);
  auto index = torch::zeros_like(labels);
  for (size_t k = 0; k < config_.structures.size(); ++k)
    index.masked_fill_(labels == int64_t(config_.structures[k].label), int64_t(k + 1));
  return index;
}

torch::Tensor SegmentorImpl::regionalAreas(const torch::Tensor& probabilities) const {
  const int64_t n = probabilities.size(0), structures = probabilities.size(1) - 1;
  const int64_t height = probabilities.size(2), width = probabilities.size(3),
                bands = config_.regionBands;
  const auto hard = probabilities.argmax(1);
  const auto rows = torch::arange(height, probabilities.options()).view({1, height});
  std::vector<torch::Tensor> perStructure;
  for (int64_t k = 0; k < structures; ++k) {
    const auto present =
        (hard == k + 1).any(2).to(probabilities.dtype());  // [N, H]: rows holding it
    // First and last such rows; an absent structure gets an empty band set (all areas zero).
    const auto big = double(height);
    const auto first =
        torch::where(present > 0, rows.expand({n, height}), torch::full_like(present, big)).amin(1);
    const auto last =
        torch::where(present > 0, rows.expand({n, height}), torch::full_like(present, -1.0))
            .amax(1);
    const auto span = (last - first + 1).clamp_min(0);
    const auto rowMass = probabilities.select(1, k + 1).sum(2);  // [N, H]
    std::vector<torch::Tensor> perBand;
    for (int64_t b = 0; b < bands; ++b) {
      const auto lo = (first + span * double(b) / double(bands)).unsqueeze(1);
      const auto hi = (first + span * double(b + 1) / double(bands)).unsqueeze(1);
      const auto inBand = ((rows >= lo) & (rows < hi)).to(probabilities.dtype());
      perBand.push_back(100.0 * (rowMass * inBand).sum(1) / double(height * width));
    }
    perStructure.push_back(torch::stack(perBand, 1));
  }
  return torch::stack(perStructure, 1);
}

Segmentor loadSegmentor(const std::string& modelDir, const std::string& component) {
  const auto c = ModelBundle::loadComponent(modelDir, component);
  Segmentor segmentor(SegmentorConfig::fromJson(c.config, modelDir + "/model.json"));
  loadModuleWeights(*segmentor, c.weights, c.weightsPath);
  segmentor->eval();
  return segmentor;
}

torch::Tensor SegmentorImpl::labelledClasses(const torch::Tensor& attributes,
                                             const CausalGraph& graph) const {
  std::vector<torch::Tensor> columns = {
      torch::ones({attributes.size(0)}, attributes.options().dtype(torch::kBool))};
  for (const auto& structure : config_.structures) {
    const auto index = graph.indexOf(structure.variable);
    if (!index)
      throw std::invalid_argument("the graph has no variable '" + structure.variable + "'");
    columns.push_back(~torch::isnan(attributes.select(1, int64_t(*index))));
  }
  return torch::stack(columns, 1);
}

torch::Tensor softDice(const torch::Tensor& probabilities, const torch::Tensor& classIndices,
                       const torch::Tensor& labelled) {
  const int64_t classes = probabilities.size(1);
  const auto target =
      torch::one_hot(classIndices, classes).permute({0, 3, 1, 2}).to(probabilities.dtype());
  const auto p = probabilities.slice(1, 1), g = target.slice(1, 1);
  const auto intersection = (p * g).sum({2, 3}), total = p.sum({2, 3}) + g.sum({2, 3});
  const auto dice = (2 * intersection + 1.0) / (total + 1.0);
  if (!labelled.defined()) return dice.mean();
  const auto weight = labelled.slice(1, 1).to(dice.dtype());
  return (dice * weight).sum() / weight.sum().clamp_min(1.0);
}

torch::Tensor partialCrossEntropy(const torch::Tensor& logits, const torch::Tensor& classIndices,
                                  const torch::Tensor& labelled) {
  const auto logNormaliser = torch::logsumexp(logits, 1);
  // Background absorbs every class the image leaves unlabelled.
  auto backgroundSet = ~labelled;
  backgroundSet.select(1, 0).fill_(true);
  const auto backgroundLogit = torch::logsumexp(
      logits.masked_fill(~backgroundSet.view({logits.size(0), logits.size(1), 1, 1}),
                         -std::numeric_limits<float>::infinity()),
      1);
  const auto targetLogit = logits.gather(1, classIndices.unsqueeze(1)).squeeze(1);
  return (logNormaliser - torch::where(classIndices == 0, backgroundLogit, targetLogit)).mean();
}

}  // namespace cfx
