#pragma once

#include <torch/torch.h>

namespace cfx {

struct AugmentationOptions {
  double maxRotation = 0.08;  // radians
  double maxScale = 0.05;     // relative zoom in or out
  double maxShift = 0.03;     // fraction of the image
  double maxGamma = 0.2;      // gamma drawn from [1 - g, 1 + g]
  double maxContrast = 0.1;
  double maxBrightness = 0.05;
  double noise = 0.01;  // std of added Gaussian noise, [0, 1] intensity scale
};

// Random small affine and intensity changes of images [N, 1, H, W] in [-1, 1]; `labels` [N, H, W]
// (integer class indices; may be undefined) get the same geometric transform with nearest
// sampling. All randomness comes from `generator`.
std::pair<torch::Tensor, torch::Tensor> augment(const torch::Tensor& images,
                                                const torch::Tensor& labels,
                                                const AugmentationOptions& options,
                                                at::Generator& generator);

}  // namespace cfx
