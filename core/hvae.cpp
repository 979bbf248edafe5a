#include "hvae.h"

#include <array>
#include <cmath>
#include <map>
#include <regex>

#include "convolution.h"
#include "image_layout.h"
#include "json_fields.h"
#include "validation_error.h"

namespace cfx {
namespace {

constexpr double kLn2 = 0.69314718055994530942;
constexpr double kHalfBin = 1.0 / 255.0;  // half of a 2/255-wide 8-bit bin on [-1, 1]

}  // namespace

// Named rather than anonymous: DecoderBlockImpl (declared in hvae.h) holds these as members.
namespace hvae_parts {

// A 1x1 convolution of [spatial, constant] concatenated along channels, where `constant` ([N, P])
// is the same at every pixel, in two shares: the constant's share is a per-image bias, so the
// concatenation (a copy of the constant at every pixel) and its part of the convolution are never
// computed. The spatial share runs in spatial's type (bf16 halves the memory traffic; callers
// keep their residual streams in fp32) and adds `bias` ([out]) when given.
torch::Tensor spatialShare(const torch::nn::Conv2d& conv, const torch::Tensor& spatial,
                           const torch::Tensor& bias, PreparedConvolution* prepared = nullptr) {
  const auto type = spatial.scalar_type();
  const auto weight = conv->weight.narrow(1, 0, spatial.size(1)).to(type);
  return convolve2d(spatial, weight, bias.defined() ? bias.to(type) : bias, 0, prepared);
}

// The constant's share with the convolution's bias: [N, out].
torch::Tensor constantShare(const torch::nn::Conv2d& conv, const torch::Tensor& constant) {
  const int64_t spatialChannels = conv->weight.size(1) - constant.size(1);
  const auto weight = conv->weight.narrow(1, spatialChannels, constant.size(1)).flatten(1);
  return torch::addmm(conv->bias, constant, weight.t());
}

// conv(GELU([spatial, constant])), both shares summed, in `compute`; without a constant, a plain
// 1x1 convolution of a GELU (the head). Where one bias serves the whole batch (no constant, or
// one image) and the prepared path takes it (fp32 inference), the GELU and the spatial share run
// in one banded pass, so that GELU(spatial) never goes to memory.
torch::Tensor geluThenPointwiseWithConstant(const torch::nn::Conv2d& conv,
                                            const torch::Tensor& spatial,
                                            const torch::Tensor& constant,
                                            torch::ScalarType compute,
                                            PreparedConvolution& prepared) {
  const auto perImage =
      constant.defined() ? constantShare(conv, geluAnyLayout(constant)) : torch::Tensor();
  const bool oneBias = !constant.defined() || spatial.size(0) == 1;
  const auto bias = !constant.defined() ? conv->bias : (oneBias ? perImage[0] : torch::Tensor());
  if (compute == torch::kFloat && oneBias)
    if (auto fused =
            prepared.geluThenPointwise(spatial, conv->weight.narrow(1, 0, spatial.size(1)), bias);
        fused.defined())
      return fused;
  const auto x = geluAnyLayout(spatial.to(compute));
  if (oneBias) return spatialShare(conv, x, bias, &prepared);
  return addPerImageBias(spatialShare(conv, x, {}, &prepared), perImage.to(compute));
}

// x + branch. Without autograd the sum goes into the branch's own fresh buffer: no 3 MiB
// allocation at 128 px, and the memory written last is still in the cache. (A bf16 branch is
// promoted.)
torch::Tensor addToBranch(const torch::Tensor& x, torch::Tensor branch) {
  const bool inPlace = !torch::GradMode::is_enabled() && branch.scalar_type() == x.scalar_type();
  return inPlace ? branch.add_(x) : x + branch;
}

// Residual bottleneck (1x1, 3x3, 3x3, 1x1 with GELUs): the one block of the HVAE. Without a
// residual it is used as the head of the prior and posterior networks. Its input is a spatial
// part and, optionally, a per-image vector standing for channels constant over the image (the
// parents), laid out after the spatial channels in the first convolution's weights.
class BottleneckImpl : public torch::nn::Module {
 public:
  BottleneckImpl(int64_t in, int64_t middle, int64_t out, bool residual, bool zeroLast)
      : residual_(residual) {
    using torch::nn::Conv2dOptions;
    c1_ = register_module("c1", torch::nn::Conv2d(Conv2dOptions(in, middle, 1)));
    c2_ = register_module("c2", torch::nn::Conv2d(Conv2dOptions(middle, middle, 3).padding(1)));
    c3_ = register_module("c3", torch::nn::Conv2d(Conv2dOptions(middle, middle, 3).padding(1)));
    c4_ = register_module("c4", torch::nn::Conv2d(Conv2dOptions(middle, out, 1)));
    if (zeroLast) {
      // Start residual branches near zero so that deep stacks begin as the identity.
      torch::NoGradGuard noGrad;
      c4_->weight.mul_(0.1);
    }
  }
  // The output is fp32 whatever `compute` is: the residual sum and everything downstream of a
  // prior or posterior (clamps, exponentials, KL) keep full precision.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& constant = {},
                        torch::ScalarType compute = torch::kFloat) {
    auto branch = finish(geluThenPointwiseWithConstant(c1_, x, constant, compute, prepared_[0]));
    return residual_ ? addToBranch(x, branch) : branch;
  }
  // The residual block applied to the nearest-neighbour upsampling of `coarse` to `resolution`.
  // Upsampling commutes with the GELU and the 1x1 convolution that open the block, so those run
  // at the coarse resolution on the wide input (a quarter of the work), and the narrow result is
  // what gets upsampled; the residual sum reads `coarse` through a broadcast, never materialising
  // its upsampled copy. The same numbers as forward(upsample(coarse)).
  torch::Tensor forwardUpsampled(const torch::Tensor& coarse, int64_t resolution,
                                 torch::ScalarType compute = torch::kFloat) {
    auto h = geluThenPointwiseWithConstant(c1_, coarse, {}, compute, prepared_[0]);
    h = upsampleNearest(h, resolution, resolution);
    return addUpsampled(coarse, finish(h));
  }

 private:
  // The three convolutions after the first, in h's type; fp32 out of a prior or posterior head.
  torch::Tensor finish(torch::Tensor h) {
    h = convolve2d(c2_, geluAnyLayout(h), &prepared_[1]);
    h = convolve2d(c3_, geluAnyLayout(h), &prepared_[2]);
    h = convolve2d(c4_, geluAnyLayout(h), &prepared_[3]);
    return residual_ ? h : h.to(torch::kFloat);
  }

  bool residual_;
  torch::nn::Conv2d c1_{nullptr}, c2_{nullptr}, c3_{nullptr}, c4_{nullptr};
  std::array<PreparedConvolution, 4> prepared_;  // c1..c4's primitives for inference
};
TORCH_MODULE(Bottleneck);

}  // namespace hvae_parts

using hvae_parts::addToBranch;
using hvae_parts::Bottleneck;
using hvae_parts::BottleneckImpl;
using hvae_parts::geluThenPointwiseWithConstant;

namespace {

// KL(N(qm, exp(qs)^2) || N(pm, exp(ps)^2)) element-wise, with log standard deviations qs, ps.
torch::Tensor gaussianKl(const torch::Tensor& qm, const torch::Tensor& qs, const torch::Tensor& pm,
                         const torch::Tensor& ps) {
  return ps - qs + (torch::exp(2 * qs) + (qm - pm).pow(2)) / (2 * torch::exp(2 * ps)) - 0.5;
}

torch::Tensor standardNormalCdf(const torch::Tensor& x) {
  return 0.5 * (1 + torch::erf(x / std::sqrt(2.0)));
}

}  // namespace

// One decoder block. With a latent it has a prior, a posterior and a projection of (z, parents).
class DecoderBlockImpl : public torch::nn::Module {
 public:
  DecoderBlockImpl(const HvaeConfig& c, int64_t resolution, bool latent)
      : resolution_(resolution), latent_(latent) {
    const int64_t w = c.width, middle = std::max<int64_t>(4, c.width / 4), z = c.latentChannels,
                  p = c.parents;
    conditionPrior_ = c.conditionPrior;
    if (latent) {
      prior_ = register_module(
          "prior", Bottleneck(w + (conditionPrior_ ? p : 0), middle, 2 * z + w, false, true));
      posterior_ = register_module("posterior", Bottleneck(2 * w + p, middle, 2 * z, false, false));
      projection_ =
          register_module("projection", torch::nn::Conv2d(torch::nn::Conv2dOptions(z + p, w, 1)));
      torch::NoGradGuard noGrad;
      projection_->weight.mul_(0.1);
    }
    residual_ = register_module("residual", Bottleneck(w, middle, w, true, true));
  }
  int64_t resolution() const { return resolution_; }
  bool latent() const { return latent_; }
  // The projection of (z, parents) as two terms: z's part (a 1x1 convolution, fixed for an
  // abducted image, so computed once per image) and the parents' part with the bias, the same at
  // every pixel: [N, width, 1, 1].
  torch::Tensor latentTerm(const torch::Tensor& z, torch::ScalarType compute) {
    return hvae_parts::spatialShare(projection_, z.to(compute), {}, &preparedProjection_)
        .to(torch::kFloat);
  }
  torch::Tensor parentTerm(const torch::Tensor& parents) const {
    return hvae_parts::constantShare(projection_, parents).view({parents.size(0), -1, 1, 1});
  }

  bool conditionPrior_ = false;
  int64_t resolution_;
  bool latent_;
  Bottleneck prior_{nullptr}, posterior_{nullptr}, residual_{nullptr};
  torch::nn::Conv2d projection_{nullptr};
  PreparedConvolution preparedProjection_;  // z's share, once per abduction
};
TORCH_MODULE(DecoderBlock);

// The state of one decoder run: what the latents come from and what it produced.
struct HvaeImpl::DecoderPass {
  enum class Mode { Posterior, Fixed, Prior } mode = Mode::Posterior;
  std::map<int64_t, torch::Tensor> encoder;  // activations by resolution (Posterior)
  double temperature = 1.0;
  at::Generator* generator = nullptr;
  std::vector<torch::Tensor> latents;      // filled (Posterior, Prior) or read (Fixed)
  std::vector<torch::Tensor> latentTerms;  // their projections: filled, or read when given
  std::vector<torch::Tensor> kl;           // per latent block [N] summed over the block (Posterior)
  bool sampleLatents = true;               // Posterior: sample (training) or scale about the mean
  bool measureKl = true;                   // Posterior: the ELBO's KL terms (not for abduction)
};

std::vector<HvaeStage> parseHvaeArchitecture(const std::string& text, const std::string& source) {
  std::vector<HvaeStage> stages;
  const std::regex item(R"((\d{1,4})b(\d{1,2}))");
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string part =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    std::smatch match;
    if (!std::regex_match(part, match, item))
      throw ValidationError(source, "hvae.architecture",
                            "'" + part + "' is not RESbBLOCKS (e.g. 32b2)");
    stages.push_back({std::stoll(match[1]), std::stoll(match[2])});
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  for (size_t i = 0; i < stages.size(); ++i) {
    checkRange(stages[i].resolution, 1, 1024, source, "hvae.architecture resolution");
    checkRange(stages[i].blocks, 1, 32, source, "hvae.architecture blocks");
    if (i > 0 && (stages[i].resolution >= stages[i - 1].resolution ||
                  stages[i - 1].resolution % stages[i].resolution))
      throw ValidationError(source, "hvae.architecture",
                            "resolutions must fall, each dividing the one before");
  }
  if (stages.empty() || stages.back().resolution != 1)
    throw ValidationError(source, "hvae.architecture", "the last stage must be at resolution 1");
  return stages;
}

std::vector<HvaeStage> HvaeConfig::stages() const {
  return parseHvaeArchitecture(architecture, "hvae config");
}

nlohmann::json HvaeConfig::toJson() const {
  return {{"architecture", architecture},
          {"width", width},
          {"latent_channels", latentChannels},
          {"max_latent_resolution", maxLatentResolution},
          {"parents", parents},
          {"condition_prior", conditionPrior},
          {"beta", beta},
          {"free_bits", freeBits}};
}

HvaeConfig HvaeConfig::fromJson(const nlohmann::json& json, const std::string& source) {
  HvaeConfig c;
  c.architecture = jsonField<std::string>(json, "architecture", source, "hvae");
  c.width = jsonField<int64_t>(json, "width", source, "hvae");
  c.latentChannels = jsonField<int64_t>(json, "latent_channels", source, "hvae");
  c.maxLatentResolution = jsonField<int64_t>(json, "max_latent_resolution", source, "hvae");
  c.parents = jsonField<int64_t>(json, "parents", source, "hvae");
  c.conditionPrior = jsonField<bool>(json, "condition_prior", false, source, "hvae");
  c.beta = jsonField<double>(json, "beta", 1.0, source, "hvae");
  c.freeBits = jsonField<double>(json, "free_bits", 0.0, source, "hvae");
  parseHvaeArchitecture(c.architecture, source);
  checkRange(c.width, 4, 512, source, "hvae.width");
  checkRange(c.latentChannels, 1, 128, source, "hvae.latent_channels");
  checkRange(c.maxLatentResolution, 1, 1024, source, "hvae.max_latent_resolution");
  checkRange(c.parents, 0, 64, source, "hvae.parents");
  return c;
}

double HvaeLoss::bitsPerDim() const {
  return nelbo.item<double>() / kLn2;
}

torch::Tensor discretisedGaussianLogLikelihood(const torch::Tensor& images,
                                               const torch::Tensor& loc,
                                               const torch::Tensor& logScale) {
  const auto inverseScale = torch::exp(-logScale);
  const auto centred = images - loc;
  const auto upper = inverseScale * (centred + kHalfBin),
             lower = inverseScale * (centred - kHalfBin);
  const auto cdfUpper = standardNormalCdf(upper), cdfLower = standardNormalCdf(lower);
  // The edge bins take the whole tails.
  const auto logCdfUpper = torch::log(cdfUpper.clamp_min(1e-12));
  const auto logOneMinusCdfLower = torch::log((1 - cdfLower).clamp_min(1e-12));
  const auto mass = cdfUpper - cdfLower;
  // Where the bin's mass underflows, the density at its centre times its width is used instead.
  const auto logDensity = -0.5 * (centred * inverseScale).pow(2) - logScale -
                          0.5 * std::log(2 * M_PI) + std::log(2 * kHalfBin);
  const auto logMass = torch::where(mass > 1e-5, torch::log(mass.clamp_min(1e-12)), logDensity);
  return torch::where(images < -1 + 1e-3, logCdfUpper,
                      torch::where(images > 1 - 1e-3, logOneMinusCdfLower, logMass));
}

HvaeImpl::HvaeImpl(HvaeConfig config) : config_(std::move(config)) {
  stages_ = config_.stages();
  const int64_t w = config_.width, middle = std::max<int64_t>(4, w / 4);
  stem_ = register_module("stem", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, w, 3).padding(1)));
  encoder_ = register_module("encoder", torch::nn::ModuleList());
  for (const auto& stage : stages_)
    for (int64_t b = 0; b < stage.blocks; ++b)
      encoder_->push_back(Bottleneck(w + config_.parents, middle, w, false, false));
  decoder_ = register_module("decoder", torch::nn::ModuleList());
  for (auto stage = stages_.rbegin(); stage != stages_.rend(); ++stage)
    for (int64_t b = 0; b < stage->blocks; ++b)
      decoder_->push_back(DecoderBlock(config_, stage->resolution,
                                       stage->resolution <= config_.maxLatentResolution));
  bias_ = register_parameter(
      "bias", torch::zeros({1, w, stages_.back().resolution, stages_.back().resolution}));
  head_ = register_module("head", torch::nn::Conv2d(torch::nn::Conv2dOptions(w, 2, 1)));
}

void HvaeImpl::setComputeType(torch::ScalarType type) {
  if (type != torch::kFloat && type != torch::kBFloat16)
    throw ValidationError("hvae", "compute type", "expected fp32 or bf16");
  computeType_ = type;
}

torch::Tensor HvaeImpl::runDecoder(DecoderPass& pass, const torch::Tensor& parents) {
  const int64_t n = parents.size(0);
  torch::Tensor h = preferredLayout(bias_.expand({n, -1, -1, -1}));
  size_t latentIndex = 0;
  for (const auto& module : *decoder_) {
    auto& block = *module->as<DecoderBlockImpl>();
    const int64_t r = block.resolution();
    if (h.size(2) != r) {
      if (!block.latent()) {
        h = block.residual_->forwardUpsampled(h, r, computeType_);
        continue;
      }
      h = upsampleNearest(h, r, r);
    }
    if (block.latent()) {
      const auto prior =
          block.prior_(h, block.conditionPrior_ ? parents : torch::Tensor(), computeType_);
      const int64_t z = config_.latentChannels;
      const auto pm = prior.narrow(1, 0, z), ps = prior.narrow(1, z, z).clamp(-7, 3),
                 feature = prior.narrow(1, 2 * z, config_.width);
      torch::Tensor latent, term;
      if (pass.mode == DecoderPass::Mode::Posterior) {
        const auto q =
            block.posterior_(torch::cat({h, pass.encoder.at(r)}, 1), parents, computeType_);
        const auto qm = q.narrow(1, 0, z), qs = q.narrow(1, z, z).clamp(-7, 3);
        const double spread = pass.sampleLatents ? 1.0 : pass.temperature;
        if (spread == 0.0) {
          latent = preferredLayout(qm);  // a dense copy of the narrowed view, for the projection
        } else {
          const auto eps = pass.generator ? torch::randn(qm.sizes(), *pass.generator,
                                                         qm.options().device(torch::kCPU))
                                                .to(qm.device())
                                          : torch::randn_like(qm);
          latent = qm + spread * torch::exp(qs) * eps;
        }
        if (pass.measureKl) {
          auto kl = gaussianKl(qm, qs, pm, ps);
          if (config_.freeBits > 0) {
            // Free bits: per latent channel, KL below the allowance (nats per pixel) is free.
            const auto perChannel = kl.mean({0, 2, 3}, true);
            kl = kl * (perChannel > config_.freeBits).to(kl.dtype());
          }
          pass.kl.push_back(kl.sum({1, 2, 3}));
        }
        pass.latents.push_back(latent);
      } else if (pass.mode == DecoderPass::Mode::Fixed) {
        latent = pass.latents.at(latentIndex);
        if (latentIndex < pass.latentTerms.size()) term = pass.latentTerms[latentIndex];
      } else {
        const auto eps = pass.generator ? torch::randn(pm.sizes(), *pass.generator,
                                                       pm.options().device(torch::kCPU))
                                              .to(pm.device())
                                        : torch::randn_like(pm);
        latent = pm + pass.temperature * torch::exp(ps) * eps;
        pass.latents.push_back(latent);
      }
      ++latentIndex;
      if (!term.defined()) term = block.latentTerm(latent, computeType_);
      if (pass.mode != DecoderPass::Mode::Fixed) pass.latentTerms.push_back(term);
      h = addPerImageBias(h + feature + term, block.parentTerm(parents));
    }
    h = block.residual_(h);
  }
  // The head runs in fp32 whatever the compute type: its outputs are the likelihood's location
  // and log-scale, which the abducted pixel noise multiplies; in bf16 its rounding alone took the
  // mean difference from fp32's images from 0.14 to 0.23 grey levels (models/phantom).
  return geluThenPointwiseWithConstant(head_, h, {}, torch::kFloat, preparedHead_);
}

HvaeEncoding HvaeImpl::encode(const torch::Tensor& images, const torch::Tensor& parents) {
  if (images.dim() != 4 || images.size(2) != stages_.front().resolution ||
      images.size(3) != stages_.front().resolution)
    throw ValidationError("hvae", "images",
                          "expected " + std::to_string(stages_.front().resolution) + " px images");
  HvaeEncoding encoding;
  torch::Tensor h = convolve2d(stem_, images.to(computeType_), &preparedStem_).to(torch::kFloat);
  h = preferredLayout(h);
  size_t index = 0;
  for (const auto& stage : stages_) {
    const int64_t r = stage.resolution;
    if (h.size(2) != r) h = averagePool(h, h.size(2) / r);
    for (int64_t b = 0; b < stage.blocks; ++b) {
      // Into the branch, never into h: h is kept as an activation.
      h = addToBranch(h,
                      encoder_[index++]->as<BottleneckImpl>()->forward(h, parents, computeType_));
    }
    encoding.activations[r] = h;
  }
  return encoding;
}

HvaeLoss HvaeImpl::loss(const torch::Tensor& images, const torch::Tensor& parents) {
  return lossAndAbduction(images, parents, nullptr).first;
}

std::pair<HvaeLoss, HvaeAbduction> HvaeImpl::lossAndAbduction(const torch::Tensor& images,
                                                              const torch::Tensor& parents,
                                                              at::Generator* generator) {
  DecoderPass pass;
  pass.encoder = encode(images, parents).activations;
  pass.generator = generator;
  const auto out = withChannelsLastGradient(runDecoder(pass, parents));
  const auto loc = out.narrow(1, 0, 1), logScale = out.narrow(1, 1, 1).clamp(-7, 2);
  const double dims = double(images.size(1) * images.size(2) * images.size(3));
  const auto nll = -discretisedGaussianLogLikelihood(images, loc, logScale).sum({1, 2, 3}) / dims;
  auto kl = torch::zeros_like(nll);
  for (const auto& k : pass.kl) kl = kl + k;
  kl = kl / dims;
  return {{(nll + config_.beta * kl).mean(), nll.mean(), kl.mean()},
          {pass.latents, (images - loc) * torch::exp(-logScale), pass.latentTerms}};
}

HvaeAbduction HvaeImpl::abduct(const torch::Tensor& images, const torch::Tensor& parents,
                               double latentTemperature, at::Generator* generator) {
  return abduct(encode(images, parents), images, parents, latentTemperature, generator);
}

HvaeAbduction HvaeImpl::abduct(const HvaeEncoding& encoding, const torch::Tensor& images,
                               const torch::Tensor& parents, double latentTemperature,
                               at::Generator* generator) {
  DecoderPass pass;
  pass.encoder = encoding.activations;
  pass.sampleLatents = false;
  pass.measureKl = false;
  pass.temperature = latentTemperature;
  pass.generator = generator;
  const auto out = runDecoder(pass, parents);
  const auto loc = out.narrow(1, 0, 1), logScale = out.narrow(1, 1, 1).clamp(-7, 2);
  return {pass.latents, (images - loc) * torch::exp(-logScale), pass.latentTerms};
}

std::pair<torch::Tensor, torch::Tensor> HvaeImpl::decode(
    const std::vector<torch::Tensor>& latents, const torch::Tensor& parents,
    const std::vector<torch::Tensor>& latentTerms) {
  DecoderPass pass;
  pass.mode = DecoderPass::Mode::Fixed;
  pass.latents = latents;
  pass.latentTerms = latentTerms;
  const auto out = runDecoder(pass, parents);
  return {out.narrow(1, 0, 1), out.narrow(1, 1, 1).clamp(-7, 2)};
}

torch::Tensor HvaeImpl::counterfactual(const HvaeAbduction& abduction,
                                       const torch::Tensor& parents) {
  const auto [loc, logScale] = decode(abduction.latents, parents, abduction.latentTerms);
  return (loc + torch::exp(logScale) * abduction.pixelNoise).clamp(-1, 1);
}

torch::Tensor HvaeImpl::sample(const torch::Tensor& parents, double temperature,
                               at::Generator* generator) {
  DecoderPass pass;
  pass.mode = DecoderPass::Mode::Prior;
  pass.temperature = temperature;
  pass.generator = generator;
  return runDecoder(pass, parents).narrow(1, 0, 1).clamp(-1, 1);
}

}  // namespace cfx
