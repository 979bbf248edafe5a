#include "image_metrics.h"

#include <cmath>

#include "validation_error.h"

namespace cfx {

namespace {

torch::Tensor asBatch(const torch::Tensor& image) {
  auto x = image.to(torch::kFloat64);
  if (x.dim() == 2) return x.view({1, 1, x.size(0), x.size(1)});
  if (x.dim() == 4 && x.size(1) == 1) return x;
  throw ValidationError("image metrics", "image", "expected [H, W] or [N, 1, H, W]");
}

torch::Tensor gaussianWindow(int64_t size, double sigma) {
  const auto r = torch::arange(size, torch::kFloat64) - double(size - 1) / 2;
  auto g = torch::exp(-r.pow(2) / (2 * sigma * sigma));
  g = g / g.sum();
  return torch::outer(g, g).view({1, 1, size, size});
}

// Symmetric square root of a positive semi-definite matrix.
torch::Tensor psdSqrt(const torch::Tensor& m) {
  const auto [values, vectors] = torch::linalg::eigh((m + m.t()) / 2, "L");
  return vectors.matmul(torch::diag(values.clamp_min(0).sqrt())).matmul(vectors.t());
}

}  // namespace

double meanAbsoluteDifference255(const torch::Tensor& a, const torch::Tensor& b) {
  return (asBatch(a) - asBatch(b)).abs().mean().item<double>() * 127.5;
}

double structuralSimilarity(const torch::Tensor& a, const torch::Tensor& b) {
  const auto x = (asBatch(a) + 1) * 127.5, y = (asBatch(b) + 1) * 127.5;
  const auto window = gaussianWindow(11, 1.5);
  const auto blur = [&](const torch::Tensor& t) { return torch::conv2d(t, window); };
  const double c1 = std::pow(0.01 * 255, 2), c2 = std::pow(0.03 * 255, 2);
  const auto mx = blur(x), my = blur(y);
  const auto vx = blur(x * x) - mx * mx, vy = blur(y * y) - my * my, cxy = blur(x * y) - mx * my;
  const auto map =
      ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
  return map.mean().item<double>();
}

torch::Tensor dilate(const torch::Tensor& mask, int64_t radius) {
  if (radius <= 0) return mask.to(torch::kBool);
  const auto m = mask.to(torch::kFloat32).view({1, 1, mask.size(0), mask.size(1)});
  return torch::max_pool2d(m, {2 * radius + 1, 2 * radius + 1}, {1, 1}, {radius, radius})[0][0] >
         0.5;
}

torch::Tensor structureRegion(const torch::Tensor& labelsBefore, const torch::Tensor& labelsAfter,
                              const std::vector<int>& labels, int64_t radius) {
  auto occupied = torch::zeros(labelsBefore.sizes(), torch::kBool);
  for (int label : labels) occupied = occupied | (labelsBefore == label) | (labelsAfter == label);
  return dilate(occupied, radius);
}

Locality locality(const torch::Tensor& factual, const torch::Tensor& counterfactual,
                  const torch::Tensor& region) {
  const auto change = (asBatch(counterfactual) - asBatch(factual)).abs()[0][0] * 127.5;
  const auto inside = region.to(torch::kBool);
  const auto countInside = inside.sum().item<int64_t>(),
             countOutside = inside.numel() - countInside;
  Locality result;
  if (countInside > 0) result.inside = change.masked_select(inside).mean().item<double>();
  if (countOutside > 0) result.outside = change.masked_select(~inside).mean().item<double>();
  result.ratio = result.inside > 0 ? result.outside / result.inside : 0.0;
  return result;
}

double frechetDistance(const torch::Tensor& a, const torch::Tensor& b) {
  const auto x = a.to(torch::kFloat64), y = b.to(torch::kFloat64);
  if (x.size(0) < 2 || y.size(0) < 2 || x.size(1) != y.size(1))
    throw ValidationError("Frechet distance", "features",
                          "expected two sets of at least 2 vectors of one size");
  const auto mx = x.mean(0), my = y.mean(0);
  const auto cx = (x - mx).t().matmul(x - mx) / double(x.size(0) - 1);
  const auto cy = (y - my).t().matmul(y - my) / double(y.size(0) - 1);
  const auto root = psdSqrt(cx);
  const auto cross = psdSqrt(root.matmul(cy).matmul(root));
  return ((mx - my).pow(2).sum() + cx.trace() + cy.trace() - 2 * cross.trace()).item<double>();
}

double kernelDistance(const torch::Tensor& a, const torch::Tensor& b) {
  const auto x = a.to(torch::kFloat64), y = b.to(torch::kFloat64);
  const int64_t n = x.size(0), m = y.size(0);
  if (n < 2 || m < 2 || x.size(1) != y.size(1))
    throw ValidationError("kernel distance", "features",
                          "expected two sets of at least 2 vectors of one size");
  const double d = double(x.size(1));
  const auto k = [&](const torch::Tensor& p, const torch::Tensor& q) {
    return (p.matmul(q.t()) / d + 1).pow(3);
  };
  const auto kxx = k(x, x), kyy = k(y, y), kxy = k(x, y);
  const double sxx = (kxx.sum() - kxx.diagonal().sum()).item<double>() / double(n * (n - 1));
  const double syy = (kyy.sum() - kyy.diagonal().sum()).item<double>() / double(m * (m - 1));
  return sxx + syy - 2 * kxy.mean().item<double>();
}

}  // namespace cfx
