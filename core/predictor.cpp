#include "predictor.h"

#include "json_fields.h"
#include "model_bundle.h"
#include "validation_error.h"

namespace cfx {

nlohmann::json PredictorConfig::toJson() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& t : targets)
    list.push_back({{"name", t.name}, {"binary", t.binary}, {"mean", t.mean}, {"std", t.std}});
  return {{"size", size}, {"width", width}, {"depth", depth}, {"targets", list}};
}

PredictorConfig PredictorConfig::fromJson(const nlohmann::json& json, const std::string& source) {
  PredictorConfig c;
  c.size = jsonField<int64_t>(json, "size", source, "predictor");
  c.width = jsonField<int64_t>(json, "width", source, "predictor");
  c.depth = jsonField<int64_t>(json, "depth", source, "predictor");
  checkRange(c.size, 8, 1024, source, "predictor.size");
  checkRange(c.width, 1, 512, source, "predictor.width");
  checkRange(c.depth, 1, 8, source, "predictor.depth");
  const auto targets = jsonField<nlohmann::json>(json, "targets", source, "predictor");
  if (!targets.is_array()) throw ValidationError(source, "predictor.targets", "expected a list");
  for (const auto& t : targets)
    c.targets.push_back({jsonField<std::string>(t, "name", source, "predictor.targets"),
                         jsonField<bool>(t, "binary", source, "predictor.targets"),
                         jsonField<double>(t, "mean", source, "predictor.targets"),
                         jsonField<double>(t, "std", source, "predictor.targets")});
  if (c.targets.empty())
    throw ValidationError(source, "predictor.targets", "expected at least one target");
  for (const auto& t : c.targets)
    if (!(t.std > 0))
      throw ValidationError(source, "predictor.targets." + t.name + ".std",
                            "expected a positive number");
  return c;
}

PredictorImpl::PredictorImpl(PredictorConfig config) : config_(std::move(config)) {
  int64_t channels = 1;
  for (int64_t level = 0; level < config_.depth; ++level) {
    const int64_t out = config_.width << std::min<int64_t>(level, 3);
    blocks_.push_back(register_module("block" + std::to_string(level), ConvBlock(channels, out)));
    channels = out;
  }
  head_ = register_module("head", torch::nn::Linear(channels, int64_t(config_.targets.size())));
  std::vector<double> mean, std, binary;
  for (const auto& t : config_.targets) {
    mean.push_back(t.binary ? 0.0 : t.mean);
    std.push_back(t.binary ? 1.0 : t.std);
    binary.push_back(t.binary ? 1.0 : 0.0);
  }
  mean_ = register_buffer("mean", torch::tensor(mean, torch::kFloat32));
  std_ = register_buffer("std", torch::tensor(std, torch::kFloat32));
  binary_ = register_buffer("binary", torch::tensor(binary, torch::kFloat32));
}

torch::Tensor PredictorImpl::forward(const torch::Tensor& images) {
  torch::Tensor h = images;
  for (size_t level = 0; level < blocks_.size(); ++level) {
    h = blocks_[level](h);
    if (level + 1 < blocks_.size()) h = torch::avg_pool2d(h, 2);
  }
  return head_(h.mean({2, 3}));
}

torch::Tensor PredictorImpl::predict(const torch::Tensor& images) {
  const auto out = forward(images);
  return torch::where(binary_ > 0, torch::sigmoid(out), out * std_ + mean_);
}

torch::Tensor PredictorImpl::estimate(const torch::Tensor& images, const CausalGraph& graph) {
  auto values = predict(images);
  for (size_t t = 0; t < config_.targets.size(); ++t) {
    const auto index = graph.indexOf(config_.targets[t].name);
    if (!index) continue;
    const Variable& v = graph.variables()[*index];
    auto column = values.select(1, int64_t(t));
    if (v.kind != VariableKind::Continuous) column.round_();
    column.clamp_(v.min, v.max);
  }
  return values;
}

torch::Tensor PredictorImpl::loss(const torch::Tensor& outputs,
                                  const torch::Tensor& targets) const {
  // An unknown target (NaN) teaches nothing: its term is zero, in value and gradient.
  const auto known = ~torch::isnan(targets);
  const auto filled = torch::where(known, targets, torch::zeros_like(targets));
  const auto normalised = (filled - mean_) / std_;
  const auto squared = (outputs - normalised).pow(2);
  const auto bce =
      torch::binary_cross_entropy_with_logits(outputs, filled, {}, {}, at::Reduction::None);
  const auto terms = torch::where(binary_ > 0, bce, squared);
  return torch::where(known, terms, torch::zeros_like(terms)).sum(1).mean();
}

Predictor loadPredictor(const std::string& modelDir) {
  const auto c = ModelBundle::loadComponent(modelDir, "predictors");
  Predictor predictor(PredictorConfig::fromJson(c.config, modelDir + "/model.json"));
  loadModuleWeights(*predictor, c.weights, c.weightsPath);
  predictor->eval();
  return predictor;
}

double rocAuc(const torch::Tensor& scores, const torch::Tensor& labels) {
  const auto s = scores.to(torch::kFloat64).flatten(), y = labels.to(torch::kFloat64).flatten();
  const auto positive = s.masked_select(y > 0.5), negative = s.masked_select(y <= 0.5);
  if (positive.numel() == 0 || negative.numel() == 0) return 0.5;
  const auto greater = (positive.unsqueeze(1) > negative.unsqueeze(0)).to(torch::kFloat64);
  const auto equal = (positive.unsqueeze(1) == negative.unsqueeze(0)).to(torch::kFloat64);
  return (greater.sum() + 0.5 * equal.sum()).item<double>() /
         double(positive.numel() * negative.numel());
}

}  // namespace cfx
