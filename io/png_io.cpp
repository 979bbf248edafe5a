#include "png_io.h"

#include <filesystem>
#include <opencv2/imgcodecs.hpp>

#include "atomic_file.h"
#include "io_error.h"

namespace cfx::io {
namespace {

cv::Mat readExisting(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw IoError(path, "open", "no such file");
  cv::Mat m = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (m.empty()) throw IoError(path, "decode", "not a readable image (truncated or not a PNG?)");
  return m;
}

std::string depthName(int depth) {
  switch (depth) {
    case CV_8U:
      return "8-bit";
    case CV_16U:
      return "16-bit";
    case CV_32F:
      return "32-bit float";
    default:
      return "unsupported-depth";
  }
}

void encodeAndWrite(const std::string& path, const cv::Mat& m) {
  std::vector<unsigned char> bytes;
  if (!cv::imencode(".png", m, bytes)) throw IoError(path, "encode", "PNG encoding failed");
  writeFileAtomically(path, bytes);
}

}  // namespace

GrayImage readGrayPng(const std::string& path, int* bitDepth) {
  const cv::Mat m = readExisting(path);
  if (m.channels() != 1)
    throw IoError(path, "channels",
                  "expected a grayscale image, got " + std::to_string(m.channels()) + " channels");
  if (m.depth() != CV_8U && m.depth() != CV_16U)
    throw IoError(path, "bit depth", "expected 8 or 16 bit, got " + depthName(m.depth()));
  const double scale = m.depth() == CV_8U ? 1.0 / 255.0 : 1.0 / 65535.0;
  GrayImage image(m.cols, m.rows);
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x)
      image.at(x, y) = float(scale * (m.depth() == CV_8U ? m.at<uchar>(y, x) : m.at<ushort>(y, x)));
  if (bitDepth) *bitDepth = m.depth() == CV_8U ? 8 : 16;
  return image;
}

LabelMap readLabelPng(const std::string& path) {
  const cv::Mat m = readExisting(path);
  if (m.channels() != 1 || m.depth() != CV_8U)
    throw IoError(path, "format",
                  "a label map must be an 8-bit single-channel PNG, got " + depthName(m.depth()) +
                      " with " + std::to_string(m.channels()) + " channel(s)");
  LabelMap labels(m.cols, m.rows);
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x) labels.at(x, y) = m.at<uchar>(y, x);
  return labels;
}

void writeGrayPng(const std::string& path, const GrayImage& image, int bitDepth) {
  if (bitDepth != 8 && bitDepth != 16) throw IoError(path, "bit depth", "expected 8 or 16");
  const double maxValue = bitDepth == 8 ? 255.0 : 65535.0;
  cv::Mat m(image.height, image.width, bitDepth == 8 ? CV_8UC1 : CV_16UC1);
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) {
      const double v = std::clamp(double(image.at(x, y)), 0.0, 1.0) * maxValue + 0.5;
      if (bitDepth == 8)
        m.at<uchar>(y, x) = uchar(v);
      else
        m.at<ushort>(y, x) = ushort(v);
    }
  encodeAndWrite(path, m);
}

void writeLabelPng(const std::string& path, const LabelMap& labels) {
  cv::Mat m(labels.height, labels.width, CV_8UC1);
  for (int y = 0; y < labels.height; ++y)
    for (int x = 0; x < labels.width; ++x) m.at<uchar>(y, x) = labels.at(x, y);
  encodeAndWrite(path, m);
}

namespace {

cv::Mat toMat(const RgbImage& image) {
  cv::Mat m(image.height, image.width, CV_8UC3);
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) {
      const auto& c = image.at(x, y);
      m.at<cv::Vec3b>(y, x) = cv::Vec3b(c[2], c[1], c[0]);  // OpenCV stores BGR
    }
  return m;
}

}  // namespace

void writeRgbPng(const std::string& path, const RgbImage& image) {
  encodeAndWrite(path, toMat(image));
}

std::vector<unsigned char> encodeRgbPng(const RgbImage& image) {
  std::vector<unsigned char> bytes;
  if (!cv::imencode(".png", toMat(image), bytes))
    throw IoError("(memory)", "encode", "PNG encoding failed");
  return bytes;
}

}  // namespace cfx::io
