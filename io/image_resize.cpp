#include "image_resize.h"

#include <opencv2/imgproc.hpp>

namespace cfx::io {

GrayImage resizeImage(const GrayImage& image, int width, int height) {
  if (image.width == width && image.height == height) return image;
  cv::Mat source(image.height, image.width, CV_32FC1, const_cast<float*>(image.pixels.data()));
  GrayImage out(width, height);
  cv::Mat target(height, width, CV_32FC1, out.pixels.data());
  cv::resize(source, target, {width, height}, 0, 0,
             width < image.width ? cv::INTER_AREA : cv::INTER_CUBIC);
  for (float& v : out.pixels) v = std::min(1.0f, std::max(0.0f, v));
  return out;
}

LabelMap resizeLabels(const LabelMap& labels, int width, int height) {
  if (labels.width == width && labels.height == height) return labels;
  cv::Mat source(labels.height, labels.width, CV_8UC1,
                 const_cast<std::uint8_t*>(labels.pixels.data()));
  LabelMap out(width, height);
  cv::Mat target(height, width, CV_8UC1, out.pixels.data());
  cv::resize(source, target, {width, height}, 0, 0, cv::INTER_NEAREST);
  return out;
}

}  // namespace cfx::io
