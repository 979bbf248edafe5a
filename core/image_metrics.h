#pragma once

#include <torch/torch.h>
#include <vector>

namespace cfx {

// Measures of how a counterfactual compares with an image (method.md section 5). Images are
// tensors in [-1, 1] of shape [H, W] or [N, 1, H, W]; distances are reported on the 0-255 scale.

// Mean absolute difference on the 0-255 scale.
double meanAbsoluteDifference255(const torch::Tensor& a, const torch::Tensor& b);

// Structural similarity (Gaussian window 11 px, sigma 1.5, constants of Wang et al. 2004 for the
// 0-255 range), averaged over pixels and images. 1 for identical images.
double structuralSimilarity(const torch::Tensor& a, const torch::Tensor& b);

// A boolean mask grown by `radius` pixels (square structuring element). [H, W]
torch::Tensor dilate(const torch::Tensor& mask, int64_t radius);

// The pixels an edit of some structures may occupy: where a label map shows one of `labels`
// before or after the edit, grown by `radius` pixels. [H, W] label maps in, [H, W] bool out.
torch::Tensor structureRegion(const torch::Tensor& labelsBefore, const torch::Tensor& labelsAfter,
                              const std::vector<int>& labels, int64_t radius);

// Where an edit happened relative to a region R: the mean absolute change (0-255) inside and
// outside R, and outside / inside (0 for a perfectly local edit).
struct Locality {
  double inside = 0.0, outside = 0.0, ratio = 0.0;
};
Locality locality(const torch::Tensor& factual, const torch::Tensor& counterfactual,
                  const torch::Tensor& region);

// Frechet distance between Gaussians fitted to two feature sets [N, F] and [M, F].
double frechetDistance(const torch::Tensor& a, const torch::Tensor& b);
// Kernel inception distance: the unbiased squared MMD with the kernel (x.y / F + 1)^3.
double kernelDistance(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace cfx
