#include "histogram_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>

namespace cfx::report {
namespace {

constexpr int kWidth = 320, kHeight = 200, kMargin = 28;

void text(cv::Mat& canvas, const std::string& s, cv::Point at, double scale = 0.4) {
  cv::putText(canvas, s, at, cv::FONT_HERSHEY_SIMPLEX, scale, {230, 230, 230}, 1, cv::LINE_AA);
}

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3g", v);
  return buffer;
}

}  // namespace

RgbImage histogramChart(const std::string& title, const std::vector<double>& values, int bins,
                        const std::vector<std::string>& categories) {
  RgbImage out(kWidth, kHeight, {28, 28, 28});
  cv::Mat canvas(kHeight, kWidth, CV_8UC3, out.pixels.data());
  text(canvas, title + " (n = " + std::to_string(values.size()) + ")", {8, 16}, 0.38);
  if (values.empty()) {
    text(canvas, "no known values", {8, kHeight / 2});
    return out;
  }
  const double low = categories.empty() ? *std::min_element(values.begin(), values.end()) : 0;
  const double high = categories.empty() ? *std::max_element(values.begin(), values.end())
                                         : double(categories.size()) - 1;
  const int count = categories.empty() ? std::max(1, bins) : int(categories.size());
  std::vector<int> heights(size_t(count), 0);
  for (double v : values) {
    const int bin =
        categories.empty()
            ? (high > low ? std::min(count - 1, int((v - low) / (high - low) * count)) : 0)
            : std::clamp(int(std::lround(v)), 0, count - 1);
    ++heights[size_t(bin)];
  }
  const int tallest = *std::max_element(heights.begin(), heights.end());
  const int plotTop = 26, plotBottom = kHeight - kMargin, plotLeft = 8, plotRight = kWidth - 8;
  const double barWidth = double(plotRight - plotLeft) / count;
  for (int b = 0; b < count; ++b) {
    const int h =
        tallest ? int(std::lround(double(heights[size_t(b)]) / tallest * (plotBottom - plotTop)))
                : 0;
    const int x0 = plotLeft + int(b * barWidth), x1 = plotLeft + int((b + 1) * barWidth) - 1;
    cv::rectangle(canvas, {x0, plotBottom - h}, {std::max(x0, x1 - 1), plotBottom}, {90, 160, 230},
                  cv::FILLED);
    if (!categories.empty()) {
      text(canvas, categories[size_t(b)] + " " + std::to_string(heights[size_t(b)]),
           {x0 + 4, plotBottom + 16});
    }
  }
  cv::line(canvas, {plotLeft, plotBottom}, {plotRight, plotBottom}, {200, 200, 200});
  if (categories.empty()) {
    text(canvas, number(low), {plotLeft, plotBottom + 16});
    const std::string right = number(high);
    text(canvas, right, {plotRight - 8 * int(right.size()), plotBottom + 16});
  }
  return out;
}

}  // namespace cfx::report
