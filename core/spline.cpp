#include "spline.h"

namespace cfx {
namespace {

constexpr double kMinBin = 1e-3, kMinDerivative = 1e-3;

struct Knots {
  torch::Tensor x, y, slope;  // [N, K+1] knot positions and slopes
};

Knots knots(const torch::Tensor& widths, const torch::Tensor& heights,
            const torch::Tensor& derivatives, double bound) {
  const int64_t bins = widths.size(1);
  const auto position = [&](const torch::Tensor& raw) {
    const auto w = kMinBin + (1.0 - kMinBin * bins) * torch::softmax(raw, 1);
    auto cumulative =
        torch::cat({torch::zeros({w.size(0), 1}, w.options()), torch::cumsum(w, 1)}, 1);
    cumulative = 2.0 * bound * cumulative - bound;
    // Pin the ends exactly so that the tails join without a gap.
    cumulative.select(1, 0).fill_(-bound);
    cumulative.select(1, bins).fill_(bound);
    return cumulative;
  };
  const auto ones = torch::ones({derivatives.size(0), 1}, derivatives.options());
  return {
      position(widths), position(heights),
      torch::cat({ones, kMinDerivative + torch::nn::functional::softplus(derivatives), ones}, 1)};
}

// Index of the bin holding each value of `v` given ascending knots [N, K+1].
torch::Tensor binIndex(const torch::Tensor& edges, const torch::Tensor& v) {
  const int64_t bins = edges.size(1) - 1;
  return (torch::sum(v.unsqueeze(1) >= edges, 1) - 1).clamp(0, bins - 1).unsqueeze(1);
}

// The knots and slopes at both ends of each element's bin.
struct Bin {
  torch::Tensor x0, y0, d0, d1, width, height, delta;
};

Bin gatherBin(const Knots& k, const torch::Tensor& i) {
  const auto at = [&](const torch::Tensor& t, int offset) {
    return t.gather(1, i + offset).squeeze(1);
  };
  Bin bin{at(k.x, 0), at(k.y, 0), at(k.slope, 0), at(k.slope, 1), {}, {}, {}};
  bin.width = at(k.x, 1) - bin.x0;
  bin.height = at(k.y, 1) - bin.y0;
  bin.delta = bin.height / bin.width;
  return bin;
}

// log d(output)/d(input) of the forward map at relative position t in the bin (eq. 5 of Durkan
// et al.); the inverse's log-determinant is its negative at the solved t.
torch::Tensor logSlope(const Bin& bin, const torch::Tensor& t) {
  const auto tt = t * (1 - t);
  const auto denominator = bin.delta + (bin.d0 + bin.d1 - 2 * bin.delta) * tt;
  const auto numerator =
      bin.delta * bin.delta * (bin.d1 * t * t + 2 * bin.delta * tt + bin.d0 * (1 - t) * (1 - t));
  return torch::log(numerator) - 2 * torch::log(denominator);
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> splineForward(const torch::Tensor& input,
                                                      const torch::Tensor& widths,
                                                      const torch::Tensor& heights,
                                                      const torch::Tensor& derivatives,
                                                      double bound) {
  const Knots k = knots(widths, heights, derivatives, bound);
  const auto inside = (input >= -bound) & (input <= bound);
  const auto x = input.clamp(-bound, bound);
  const Bin bin = gatherBin(k, binIndex(k.x, x));
  const auto &x0 = bin.x0, &y0 = bin.y0, &d0 = bin.d0, &d1 = bin.d1, &w = bin.width,
             &h = bin.height, &delta = bin.delta;
  const auto t = (x - x0) / w, tt = t * (1 - t);
  const auto denominator = delta + (d0 + d1 - 2 * delta) * tt;
  const auto y = y0 + h * (delta * t * t + d0 * tt) / denominator;
  const auto logdet = logSlope(bin, t);
  return {torch::where(inside, y, input), torch::where(inside, logdet, torch::zeros_like(logdet))};
}

std::pair<torch::Tensor, torch::Tensor> splineInverse(const torch::Tensor& input,
                                                      const torch::Tensor& widths,
                                                      const torch::Tensor& heights,
                                                      const torch::Tensor& derivatives,
                                                      double bound) {
  const Knots k = knots(widths, heights, derivatives, bound);
  const auto inside = (input >= -bound) & (input <= bound);
  const auto y = input.clamp(-bound, bound);
  const Bin bin = gatherBin(k, binIndex(k.y, y));
  const auto &x0 = bin.x0, &y0 = bin.y0, &d0 = bin.d0, &d1 = bin.d1, &w = bin.width,
             &h = bin.height, &delta = bin.delta;
  const auto dy = y - y0, sum = d0 + d1 - 2 * delta;
  const auto a = h * (delta - d0) + dy * sum;
  const auto b = h * d0 - dy * sum;
  const auto c = -delta * dy;
  const auto discriminant = (b * b - 4 * a * c).clamp_min(0);
  // The numerically stable root of the quadratic (Durkan et al., eq. 29).
  const auto t = (2 * c) / (-b - torch::sqrt(discriminant));
  const auto x = t * w + x0;
  const auto logdet = -logSlope(bin, t);
  return {torch::where(inside, x, input), torch::where(inside, logdet, torch::zeros_like(logdet))};
}

}  // namespace cfx
