#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace cfx::io {

// What a PNG's IHDR chunk says, read before the image is decoded.
struct PngHeader {
  std::int64_t width = 0, height = 0;
  int bitDepth = 0;
  int colourType = 0;  // 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA
};

// Parses the signature and the IHDR chunk of `size` bytes at `data`; throws an IoError naming
// `source` when it is not a PNG, the header is malformed or the size exceeds the limits
// (image_limits.h).
PngHeader readPngHeader(const unsigned char* data, std::size_t size, const std::string& source);

// "8-bit grayscale", "RGB", ... for messages.
std::string describeColourType(const PngHeader& header);

}  // namespace cfx::io
