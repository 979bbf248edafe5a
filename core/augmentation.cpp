#include "augmentation.h"

namespace cfx {
namespace F = torch::nn::functional;

std::pair<torch::Tensor, torch::Tensor> augment(const torch::Tensor& images,
                                                const torch::Tensor& labels,
                                                const AugmentationOptions& o,
                                                at::Generator& generator) {
  const int64_t n = images.size(0);
  const auto cpu = torch::TensorOptions().dtype(torch::kFloat32);
  const auto uniform = [&](double range) {
    return (torch::rand({n}, generator, cpu) * 2 - 1) * range;
  };
  const auto angle = uniform(o.maxRotation), scale = 1 + uniform(o.maxScale);
  const auto tx = uniform(2 * o.maxShift), ty = uniform(2 * o.maxShift);  // grid units span 2
  const auto cosine = torch::cos(angle) / scale, sine = torch::sin(angle) / scale;
  const auto theta =
      torch::stack({torch::stack({cosine, -sine, tx}, 1), torch::stack({sine, cosine, ty}, 1)}, 1)
          .to(images.device());
  const auto grid = F::affine_grid(theta, images.sizes().vec(), false);
  auto out = F::grid_sample(images, grid,
                            F::GridSampleFuncOptions()
                                .mode(torch::kBilinear)
                                .padding_mode(torch::kBorder)
                                .align_corners(false));
  torch::Tensor outLabels;
  if (labels.defined())
    outLabels = F::grid_sample(labels.unsqueeze(1).to(torch::kFloat32), grid,
                               F::GridSampleFuncOptions()
                                   .mode(torch::kNearest)
                                   .padding_mode(torch::kZeros)
                                   .align_corners(false))
                    .squeeze(1)
                    .round()
                    .to(labels.scalar_type());

  const auto view = [&](const torch::Tensor& t) {
    return t.view({n, 1, 1, 1}).to(images.device());
  };
  const auto gamma = view(1 + uniform(o.maxGamma)), contrast = view(1 + uniform(o.maxContrast));
  const auto brightness = view(uniform(o.maxBrightness));
  auto unit = ((out + 1) / 2).clamp(0, 1).pow(gamma);
  unit = (unit - 0.5) * contrast + 0.5 + brightness;
  unit = unit + o.noise * torch::randn(unit.sizes(), generator, cpu).to(images.device());
  return {unit.clamp(0, 1) * 2 - 1, outLabels};
}

}  // namespace cfx
