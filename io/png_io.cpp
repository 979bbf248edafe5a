#include "png_io.h"

#include <filesystem>
#include <opencv2/imgcodecs.hpp>

#include "atomic_file.h"
#include "image_limits.h"
#include "io_error.h"
#include "png_header.h"

namespace cfx::io {
namespace {

// Decodes a single-channel PNG after its header said it is one, of a size within the limits.
cv::Mat decodeSingleChannel(const std::vector<unsigned char>& bytes, const std::string& source,
                            const char* what) {
  const PngHeader header = readPngHeader(bytes.data(), bytes.size(), source);
  if (header.colourType != 0)
    throw IoError(source, "colour type",
                  std::string("expected ") + what + ", got " + describeColourType(header));
  const cv::Mat m = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
  if (m.empty()) throw IoError(source, "decode", "not a readable PNG (truncated or corrupt data)");
  if (m.cols != header.width || m.rows != header.height || m.channels() != 1)
    throw IoError(source, "decode", "the decoded image does not match its header");
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

GrayImage decodeGrayPng(const std::vector<unsigned char>& bytes, const std::string& source,
                        int* bitDepth) {
  const cv::Mat m = decodeSingleChannel(bytes, source, "a grayscale image");
  if (m.depth() != CV_8U && m.depth() != CV_16U)
    throw IoError(source, "bit depth", "expected 8 or 16 bit, got " + depthName(m.depth()));
  const double scale = m.depth() == CV_8U ? 1.0 / 255.0 : 1.0 / 65535.0;
  GrayImage image(m.cols, m.rows);
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x)
      image.at(x, y) = float(scale * (m.depth() == CV_8U ? m.at<uchar>(y, x) : m.at<ushort>(y, x)));
  if (bitDepth) *bitDepth = m.depth() == CV_8U ? 8 : 16;
  return image;
}

GrayImage readGrayPng(const std::string& path, int* bitDepth) {
  return decodeGrayPng(readImageFile(path), path, bitDepth);
}

LabelMap decodeLabelPng(const std::vector<unsigned char>& bytes, const std::string& source) {
  const cv::Mat m = decodeSingleChannel(bytes, source, "an 8-bit single-channel label map");
  if (m.depth() != CV_8U)
    throw IoError(source, "format",
                  "a label map must be an 8-bit single-channel PNG, got " + depthName(m.depth()));
  LabelMap labels(m.cols, m.rows);
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x) labels.at(x, y) = m.at<uchar>(y, x);
  return labels;
}

LabelMap readLabelPng(const std::string& path) {
  return decodeLabelPng(readImageFile(path), path);
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
