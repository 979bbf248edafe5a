#pragma once

#include <string>
#include <vector>

#include "image_buffer.h"

namespace cfx::io {

// A grayscale PNG, 8 or 16 bit, as intensities in [0, 1]. Colour or other depths are refused.
GrayImage readGrayPng(const std::string& path, int* bitDepth = nullptr);
// A label map: 8-bit single-channel PNG, each value a structure label.
LabelMap readLabelPng(const std::string& path);

void writeGrayPng(const std::string& path, const GrayImage& image, int bitDepth);  // 8 or 16
void writeLabelPng(const std::string& path, const LabelMap& labels);
void writeRgbPng(const std::string& path, const RgbImage& image);
// The PNG file's bytes, for embedding (HTML reports).
std::vector<unsigned char> encodeRgbPng(const RgbImage& image);

}  // namespace cfx::io
