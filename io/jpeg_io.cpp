#include "jpeg_io.h"

#include <opencv2/imgcodecs.hpp>

#include "image_limits.h"
#include "io_error.h"

namespace cfx::io {

bool looksLikeJpeg(const std::vector<unsigned char>& bytes) {
  return bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
}

GrayImage decodeGrayJpeg(const std::vector<unsigned char>& bytes, const std::string& source) {
  if (!looksLikeJpeg(bytes)) throw IoError(source, "JPEG", "not a JPEG file");
  // Walk the marker segments to the frame header (SOF0-SOF15 except DHT, JPG, DAC).
  size_t at = 2;
  int width = 0, height = 0;
  while (at + 4 <= bytes.size()) {
    if (bytes[at] != 0xFF) throw IoError(source, "JPEG", "corrupt marker structure");
    const int marker = bytes[at + 1];
    const size_t length = size_t(bytes[at + 2]) << 8 | bytes[at + 3];
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      if (at + 9 > bytes.size()) break;
      height = bytes[at + 5] << 8 | bytes[at + 6];
      width = bytes[at + 7] << 8 | bytes[at + 8];
      break;
    }
    at += 2 + length;
  }
  if (width == 0 || height == 0) throw IoError(source, "JPEG", "no frame header (truncated?)");
  checkImageSize(source, "JPEG frame", width, height);
  const cv::Mat m = cv::imdecode(bytes, cv::IMREAD_GRAYSCALE);
  if (m.empty() || m.cols != width || m.rows != height)
    throw IoError(source, "decode", "not a readable JPEG (truncated or corrupt data)");
  GrayImage image(m.cols, m.rows);
  for (int y = 0; y < m.rows; ++y)
    for (int x = 0; x < m.cols; ++x) image.at(x, y) = float(m.at<uchar>(y, x)) / 255.0f;
  return image;
}

}  // namespace cfx::io
