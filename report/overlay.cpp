#include "overlay.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace cfx::report {
namespace {

cv::Mat asMat(RgbImage& image) {
  return cv::Mat(image.height, image.width, CV_8UC3, image.pixels.data());
}

}  // namespace

std::vector<StructureStyle> defaultStructureStyles() {
  return {{1, {0, 220, 255}}, {2, {255, 215, 0}}, {3, {255, 60, 60}}};
}

RgbImage toRgb(const GrayImage& image, int zoom) {
  cv::Mat gray(image.height, image.width, CV_32FC1, const_cast<float*>(image.pixels.data())),
      scaled, bytes;
  cv::resize(gray, scaled, {image.width * zoom, image.height * zoom}, 0, 0,
             zoom > 1 ? cv::INTER_CUBIC : cv::INTER_NEAREST);
  scaled.convertTo(bytes, CV_8UC1, 255.0);
  RgbImage out(bytes.cols, bytes.rows);
  for (int y = 0; y < bytes.rows; ++y)
    for (int x = 0; x < bytes.cols; ++x) {
      const auto v = bytes.at<std::uint8_t>(y, x);
      out.at(x, y) = {v, v, v};
    }
  return out;
}

RgbImage contourOverlay(const GrayImage& image, const LabelMap& labels, int zoom,
                        const std::vector<StructureStyle>& styles) {
  RgbImage out = toRgb(image, zoom);
  cv::Mat canvas = asMat(out);
  cv::Mat mask(labels.height, labels.width, CV_8UC1,
               const_cast<std::uint8_t*>(labels.pixels.data()));
  for (const auto& style : styles) {
    cv::Mat binary = mask == style.label, scaled;
    cv::resize(binary, scaled, {labels.width * zoom, labels.height * zoom}, 0, 0,
               cv::INTER_NEAREST);
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(scaled, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    const cv::Scalar colour(style.colour[0], style.colour[1], style.colour[2]);  // canvas holds RGB
    cv::drawContours(canvas, contours, -1, colour, std::max(1, zoom / 2), cv::LINE_AA);
  }
  return out;
}

GrayImage upscaleNearest(const GrayImage& image, int zoom) {
  GrayImage out(image.width * zoom, image.height * zoom);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x) out.at(x, y) = image.at(x / zoom, y / zoom);
  return out;
}

void caption(RgbImage& tile, const std::string& text) {
  cv::Mat canvas = asMat(tile);
  const double scale = std::clamp(tile.width / 520.0, 0.3, 0.8);
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &baseline);
  cv::Mat band = canvas(
      cv::Rect(0, 0, std::min(tile.width, size.width + 8), std::min(tile.height, size.height + 8)));
  band *= 0.35;
  cv::putText(canvas, text, {4, size.height + 3}, cv::FONT_HERSHEY_SIMPLEX, scale, {255, 255, 255},
              1, cv::LINE_AA);
}

RgbImage row(const std::vector<RgbImage>& tiles, int gap, std::array<std::uint8_t, 3> background) {
  int width = 0, height = 0;
  for (const auto& t : tiles) width += t.width + gap, height = std::max(height, t.height);
  RgbImage out(std::max(0, width - gap), height, background);
  int x0 = 0;
  for (const auto& t : tiles) {
    for (int y = 0; y < t.height; ++y)
      for (int x = 0; x < t.width; ++x) out.at(x0 + x, y) = t.at(x, y);
    x0 += t.width + gap;
  }
  return out;
}

RgbImage column(const std::vector<RgbImage>& rows, int gap,
                std::array<std::uint8_t, 3> background) {
  int width = 0, height = 0;
  for (const auto& r : rows) height += r.height + gap, width = std::max(width, r.width);
  RgbImage out(width, std::max(0, height - gap), background);
  int y0 = 0;
  for (const auto& r : rows) {
    for (int y = 0; y < r.height; ++y)
      for (int x = 0; x < r.width; ++x) out.at(x, y0 + y) = r.at(x, y);
    y0 += r.height + gap;
  }
  return out;
}

}  // namespace cfx::report
