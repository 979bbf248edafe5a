#pragma once

#include <string>
#include <vector>

#include "image_buffer.h"

namespace cfx::io {

// True when the bytes start like a JPEG file (SOI marker).
bool looksLikeJpeg(const std::vector<unsigned char>& bytes);

// A JPEG radiograph (as MIMIC-CXR-JPG and CheXpert publish them) as intensities in [0, 1]; a
// colour JPEG is converted to grey. The size is read from the frame header and checked against
// the limits before anything is decoded. Throws an IoError naming `source`.
GrayImage decodeGrayJpeg(const std::vector<unsigned char>& bytes, const std::string& source);

}  // namespace cfx::io
