#include "image_resize.h"

#include <opencv2/imgproc.hpp>
#include <stdexcept>

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

GrayImage transferEdit(const GrayImage& input, const GrayImage& factual,
                       const GrayImage& counterfactual) {
  if (factual.width != counterfactual.width || factual.height != counterfactual.height)
    throw std::invalid_argument("transferEdit: factual and counterfactual sizes differ");
  GrayImage edit(factual.width, factual.height);
  for (size_t i = 0; i < edit.pixels.size(); ++i)
    edit.pixels[i] = counterfactual.pixels[i] - factual.pixels[i];
  GrayImage out = input;
  if (input.width == edit.width && input.height == edit.height) {
    for (size_t i = 0; i < out.pixels.size(); ++i) out.pixels[i] += edit.pixels[i];
  } else {
    cv::Mat source(edit.height, edit.width, CV_32FC1, edit.pixels.data());
    cv::Mat upsampled;
    // Bilinear, not cubic: cubic overshoot would print rings around every moved border.
    cv::resize(source, upsampled, {input.width, input.height}, 0, 0, cv::INTER_LINEAR);
    const float* e = upsampled.ptr<float>();
    for (size_t i = 0; i < out.pixels.size(); ++i) out.pixels[i] += e[i];
  }
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
