#include "mechanisms.h"

#include <cmath>

#include "spline.h"
#include "validation_error.h"

namespace cfx {
namespace {

constexpr double kHalfLogTwoPi = 0.91893853320467274178;

torch::Tensor standardNormalLogProb(const torch::Tensor& u) {
  return -0.5 * u * u - kHalfLogTwoPi;
}

torch::Tensor gumbel(const std::vector<int64_t>& shape, at::Generator& generator,
                     const torch::TensorOptions& options) {
  const auto uniform =
      torch::rand(shape, generator, options.dtype(torch::kFloat64)).clamp(1e-12, 1.0 - 1e-12);
  return (-torch::log(-torch::log(uniform))).to(options.dtype());
}

}  // namespace

FlowKind parseFlowKind(const std::string& text, const std::string& source) {
  if (text == "affine") return FlowKind::Affine;
  if (text == "spline") return FlowKind::Spline;
  throw ValidationError(source, "flow", "expected \"affine\" or \"spline\", got \"" + text + "\"");
}

std::string toString(FlowKind kind) {
  return kind == FlowKind::Affine ? "affine" : "spline";
}

FlowMechanismImpl::FlowMechanismImpl(FlowKind kind, int64_t parents, int64_t hidden, int64_t bins,
                                     double bound)
    : kind_(kind), bins_(bins), bound_(bound) {
  conditioner_ = register_module("conditioner", Conditioner(parents, 2, hidden));
  if (kind == FlowKind::Spline)
    spline_ = register_parameter("spline", torch::zeros({3 * bins - 1}));
}

FlowMechanismImpl::Parameters FlowMechanismImpl::conditionedParameters(const torch::Tensor& parents,
                                                                       int64_t batch) {
  const auto p = conditioner_(parents, batch);
  Parameters result;
  result.loc = p.select(1, 0);
  result.logScale = p.select(1, 1).clamp(-7.0, 7.0);
  if (kind_ == FlowKind::Spline) {
    const auto shape = spline_.unsqueeze(0).expand({batch, spline_.size(0)});
    result.widths = shape.narrow(1, 0, bins_);
    result.heights = shape.narrow(1, bins_, bins_);
    result.derivatives = shape.narrow(1, 2 * bins_, bins_ - 1);
  }
  return result;
}

std::pair<torch::Tensor, torch::Tensor> FlowMechanismImpl::inverse(const torch::Tensor& value,
                                                                   const torch::Tensor& parents) {
  const auto p = conditionedParameters(parents, value.size(0));
  auto z = (value - p.loc) * torch::exp(-p.logScale);
  auto logdet = -p.logScale;
  if (kind_ == FlowKind::Spline) {
    auto [u, splineLogdet] = splineInverse(z, p.widths, p.heights, p.derivatives, bound_);
    z = u;
    logdet = logdet + splineLogdet;
  }
  return {z, logdet};
}

torch::Tensor FlowMechanismImpl::logProb(const torch::Tensor& value, const torch::Tensor& parents) {
  const auto [u, logdet] = inverse(value, parents);
  return standardNormalLogProb(u) + logdet;
}

torch::Tensor FlowMechanismImpl::abduct(const torch::Tensor& value, const torch::Tensor& parents,
                                        at::Generator&) {
  return inverse(value, parents).first.unsqueeze(1);
}

torch::Tensor FlowMechanismImpl::predict(const torch::Tensor& noise, const torch::Tensor& parents) {
  const auto p = conditionedParameters(parents, noise.size(0));
  auto z = noise.select(1, 0);
  if (kind_ == FlowKind::Spline)
    z = splineForward(z, p.widths, p.heights, p.derivatives, bound_).first;
  return p.loc + torch::exp(p.logScale) * z;
}

torch::Tensor FlowMechanismImpl::sampleNoise(int64_t batch, at::Generator& generator) {
  return torch::randn({batch, 1}, generator, torch::TensorOptions().dtype(torch::kFloat32));
}

CategoricalMechanismImpl::CategoricalMechanismImpl(int64_t categories, int64_t parents,
                                                   int64_t hidden)
    : categories_(categories) {
  conditioner_ = register_module("conditioner", Conditioner(parents, categories, hidden));
}

torch::Tensor CategoricalMechanismImpl::logProb(const torch::Tensor& value,
                                                const torch::Tensor& parents) {
  const auto logp = torch::log_softmax(logits(parents, value.size(0)), 1);
  return logp.gather(1, value.to(torch::kInt64).unsqueeze(1)).squeeze(1);
}

torch::Tensor CategoricalMechanismImpl::abduct(const torch::Tensor& value,
                                               const torch::Tensor& parents,
                                               at::Generator& generator) {
  torch::NoGradGuard noGrad;
  const int64_t batch = value.size(0);
  const auto l = logits(parents, batch).to(torch::kFloat64);
  const auto observed = value.to(torch::kInt64).unsqueeze(1);
  // The maximum of the perturbed logits is Gumbel(logsumexp(l)) and is attained by the observed
  // category; every other perturbed logit is a Gumbel(l_k) truncated below that maximum.
  const auto top = torch::logsumexp(l, 1, true) + gumbel({batch, 1}, generator, l.options());
  const auto g = gumbel({batch, categories_}, generator, l.options()) + l;
  const auto truncated = -torch::log(torch::exp(-top) + torch::exp(-g));
  auto perturbed = truncated.scatter(1, observed, top);
  return (perturbed - l).to(torch::kFloat32);
}

torch::Tensor CategoricalMechanismImpl::predict(const torch::Tensor& noise,
                                                const torch::Tensor& parents) {
  return torch::argmax(logits(parents, noise.size(0)) + noise, 1).to(torch::kFloat32);
}

torch::Tensor CategoricalMechanismImpl::sampleNoise(int64_t batch, at::Generator& generator) {
  return gumbel({batch, categories_}, generator, torch::TensorOptions().dtype(torch::kFloat32));
}

}  // namespace cfx
