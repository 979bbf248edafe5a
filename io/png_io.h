#pragma once

#include <string>
#include <vector>

#include "image_buffer.h"

namespace cfx::io {

// A grayscale PNG, 8 or 16 bit, as intensities in [0, 1]. Colour, alpha, palettes and sizes over
// the limits (image_limits.h) are refused from the header, before anything is decoded.
GrayImage readGrayPng(const std::string& path, int* bitDepth = nullptr);
// The same from the file's bytes; `source` names it in messages.
GrayImage decodeGrayPng(const std::vector<unsigned char>& bytes, const std::string& source,
                        int* bitDepth = nullptr);
// A label map: 8-bit single-channel PNG, each value a structure label.
LabelMap readLabelPng(const std::string& path);
LabelMap decodeLabelPng(const std::vector<unsigned char>& bytes, const std::string& source);

void writeGrayPng(const std::string& path, const GrayImage& image, int bitDepth);  // 8 or 16
void writeLabelPng(const std::string& path, const LabelMap& labels);
void writeRgbPng(const std::string& path, const RgbImage& image);
// The PNG file's bytes, for embedding (HTML reports).
std::vector<unsigned char> encodeRgbPng(const RgbImage& image);

}  // namespace cfx::io
