#pragma once

#include <torch/torch.h>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "prepared_convolution.h"

namespace cfx {

// One resolution of the HVAE: its side in pixels and how many residual blocks it has.
struct HvaeStage {
  int64_t resolution = 1;
  int64_t blocks = 1;
};

// The architecture as data. `stages` is parsed from a string such as "64b1,32b1,16b2,8b2,4b2,1b2"
// (resolution b blocks, from the image down to 1x1); the decoder mirrors the encoder, with latent
// variables in every decoder block at resolutions up to `maxLatentResolution`.
struct HvaeConfig {
  std::string architecture = "128b2,64b2,32b2,16b2,8b2,4b2,1b2";
  int64_t width = 48;
  int64_t latentChannels = 8;
  int64_t maxLatentResolution = 32;
  int64_t parents = 5;          // size of the normalised parent vector
  bool conditionPrior = false;  // also feed the parents to the prior
  double beta = 1.0;            // weight of the KL term
  double freeBits = 0.0;        // nats per latent channel and pixel below which KL is not penalised

  std::vector<HvaeStage> stages() const;  // validated parse of `architecture`
  nlohmann::json toJson() const;
  static HvaeConfig fromJson(const nlohmann::json& json, const std::string& source);
};

std::vector<HvaeStage> parseHvaeArchitecture(const std::string& text, const std::string& source);

// What a forward pass of the ELBO reports, per image dimension.
struct HvaeLoss {
  torch::Tensor nelbo;    // scalar: mean over the batch of (NLL + beta * KL) / (C * H * W), nats
  torch::Tensor nll, kl;  // scalars, nats per dimension
  double bitsPerDim() const;
};

// The abducted exogenous state of a batch of images: every latent, and the pixel noise.
struct HvaeAbduction {
  std::vector<torch::Tensor> latents;  // one per latent decoder block
  torch::Tensor pixelNoise;            // (x - mu) / sigma, [N, 1, H, W]
  // Each latent's share of its block's projection: what a decoder pass for new parents would
  // otherwise recompute from the latents on every slider move. Empty: computed from latents.
  std::vector<torch::Tensor> latentTerms;
};

// The encoder's activations at every resolution: what the posterior of each particle reads.
struct HvaeEncoding {
  std::map<int64_t, torch::Tensor> activations;
};

// A conditional hierarchical VAE (VDVAE-style) over images in [-1, 1] with a discretised Gaussian
// likelihood. The parents (normalised scalars) enter every posterior and latent projection.
class HvaeImpl : public torch::nn::Module {
 public:
  explicit HvaeImpl(HvaeConfig config);
  const HvaeConfig& config() const { return config_; }

  HvaeLoss loss(const torch::Tensor& images, const torch::Tensor& parents);
  // The ELBO and, from the same posterior pass, the abduction with sampled latents: what
  // counterfactual fine-tuning needs per batch, at the cost of one encoder and decoder pass.
  std::pair<HvaeLoss, HvaeAbduction> lossAndAbduction(const torch::Tensor& images,
                                                      const torch::Tensor& parents,
                                                      at::Generator* generator);
  // Abduction: latents from the posterior (scaled about its mean by `latentTemperature`; 0 gives
  // the posterior mean) and the pixel noise that makes the reconstruction exact.
  HvaeAbduction abduct(const torch::Tensor& images, const torch::Tensor& parents,
                       double latentTemperature, at::Generator* generator);
  // The same in two parts: the encoder once per image, then one posterior pass per particle.
  HvaeEncoding encode(const torch::Tensor& images, const torch::Tensor& parents);
  HvaeAbduction abduct(const HvaeEncoding& encoding, const torch::Tensor& images,
                       const torch::Tensor& parents, double latentTemperature,
                       at::Generator* generator);
  // Location and log-scale of the likelihood for given latents and parents: one decoder pass.
  std::pair<torch::Tensor, torch::Tensor> decode(
      const std::vector<torch::Tensor>& latents, const torch::Tensor& parents,
      const std::vector<torch::Tensor>& latentTerms = {});
  // x* = clamp(mu* + sigma* * u_x, -1, 1): the counterfactual image for new parents.
  torch::Tensor counterfactual(const HvaeAbduction& abduction, const torch::Tensor& parents);
  // The floating-point type the convolutions run in: fp32, or bf16 where the hardware has it
  // (halves the memory traffic; sums, the residual stream and the likelihood stay fp32). The
  // parameters stay fp32 either way, so training in bf16 keeps fp32 weights and gradients.
  void setComputeType(torch::ScalarType type);
  torch::ScalarType computeType() const { return computeType_; }
  // Samples from the prior (for figures and realism checks).
  torch::Tensor sample(const torch::Tensor& parents, double temperature, at::Generator* generator);

 private:
  struct DecoderPass;
  torch::Tensor runDecoder(DecoderPass& pass, const torch::Tensor& parents);

  HvaeConfig config_;
  std::vector<HvaeStage> stages_;
  torch::nn::Conv2d stem_{nullptr}, head_{nullptr};
  PreparedConvolution preparedStem_, preparedHead_;  // their primitives for inference
  torch::nn::ModuleList encoder_{nullptr}, decoder_{nullptr};
  torch::Tensor bias_;
  torch::ScalarType computeType_ = torch::kFloat;
};
TORCH_MODULE(Hvae);

// Log-likelihood of `images` (in [-1, 1], 8-bit bins of width 2/255) under a discretised Gaussian
// with per-pixel `loc` and `logScale`. [N, C, H, W]
torch::Tensor discretisedGaussianLogLikelihood(const torch::Tensor& images,
                                               const torch::Tensor& loc,
                                               const torch::Tensor& logScale);

}  // namespace cfx
