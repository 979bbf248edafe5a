#include "difference_map.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <string>

namespace cfx::report {

std::array<std::uint8_t, 3> divergingColour(double value) {
  // Anchors of a blue-white-red map with perceptually even steps on each side.
  static constexpr double kAnchors[5][3] = {
      {33, 102, 172}, {146, 197, 222}, {247, 247, 247}, {244, 165, 130}, {178, 24, 43}};
  if (std::isnan(value)) return {0, 0, 0};  // no difference can be shown: black, never an index
  const double t = (std::clamp(value, -1.0, 1.0) + 1.0) * 2.0;
  const int i = std::min(int(t), 3);
  const double f = t - i;
  std::array<std::uint8_t, 3> rgb{};
  for (int c = 0; c < 3; ++c)
    rgb[c] = std::uint8_t(std::lround(kAnchors[i][c] + f * (kAnchors[i + 1][c] - kAnchors[i][c])));
  return rgb;
}

double differenceRange(const GrayImage& factual, const GrayImage& counterfactual) {
  double range = 1.0 / 255.0;
  for (size_t i = 0; i < factual.pixels.size(); ++i)
    range = std::max(range, double(std::abs(counterfactual.pixels[i] - factual.pixels[i])));
  return range;
}

RgbImage differenceMap(const GrayImage& factual, const GrayImage& counterfactual, double range,
                       bool colourBar) {
  if (factual.width != counterfactual.width || factual.height != counterfactual.height)
    throw std::invalid_argument("differenceMap: images differ in size");
  const int barWidth = colourBar ? std::max(64, factual.width / 3) : 0;
  RgbImage out(factual.width + barWidth, factual.height, {255, 255, 255});
  for (int y = 0; y < factual.height; ++y)
    for (int x = 0; x < factual.width; ++x)
      out.at(x, y) = divergingColour((counterfactual.at(x, y) - factual.at(x, y)) / range);
  if (!colourBar) return out;

  const int x0 = factual.width + 4, stripe = std::max(6, barWidth / 5), top = 8,
            bottom = factual.height - 8;
  for (int y = top; y <= bottom; ++y) {
    const auto c = divergingColour(1.0 - 2.0 * (y - top) / double(bottom - top));
    for (int x = x0; x < x0 + stripe; ++x) out.at(x, y) = c;
  }
  cv::Mat canvas(out.height, out.width, CV_8UC3, out.pixels.data());
  const double scale = std::max(0.3, factual.height / 400.0);
  const int levels = int(std::lround(range * 255.0));
  const auto label = [&](const std::string& text, int y) {
    cv::putText(canvas, text, {x0 + stripe + 2, y}, cv::FONT_HERSHEY_SIMPLEX, scale, {0, 0, 0}, 1,
                cv::LINE_AA);
  };
  label("+" + std::to_string(levels), top + int(10 * scale * 2));
  label("0", (top + bottom) / 2 + 4);
  label("-" + std::to_string(levels), bottom);
  return out;
}

}  // namespace cfx::report
