#include "png_header.h"

#include <cstring>

#include "image_limits.h"
#include "io_error.h"

namespace cfx::io {
namespace {

std::uint32_t bigEndian32(const unsigned char* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
         std::uint32_t(p[3]);
}

}  // namespace

PngHeader readPngHeader(const unsigned char* data, std::size_t size, const std::string& source) {
  static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size < 8 || std::memcmp(data, signature, 8) != 0)
    throw IoError(source, "signature", "not a PNG file (no PNG signature)");
  if (size < 8 + 8 + 13 || bigEndian32(data + 8) != 13 || std::memcmp(data + 12, "IHDR", 4) != 0)
    throw IoError(source, "IHDR", "the PNG header chunk is missing or malformed");
  const unsigned char* ihdr = data + 16;
  PngHeader header;
  header.width = bigEndian32(ihdr);
  header.height = bigEndian32(ihdr + 4);
  header.bitDepth = ihdr[8];
  header.colourType = ihdr[9];
  static const struct {
    int colourType;
    const char* depths;
  } allowed[] = {{0, "\x01\x02\x04\x08\x10"},
                 {2, "\x08\x10"},
                 {3, "\x01\x02\x04\x08"},
                 {4, "\x08\x10"},
                 {6, "\x08\x10"}};
  bool valid = false;
  for (const auto& rule : allowed)
    if (rule.colourType == header.colourType)
      valid = std::strchr(rule.depths, header.bitDepth) != nullptr && header.bitDepth != 0;
  if (!valid)
    throw IoError(source, "IHDR",
                  "bit depth " + std::to_string(header.bitDepth) + " with colour type " +
                      std::to_string(header.colourType) + " is not a valid PNG combination");
  if (ihdr[10] != 0 || ihdr[11] != 0 || ihdr[12] > 1)
    throw IoError(source, "IHDR", "unknown compression, filter or interlace method");
  checkImageSize(source, "IHDR", header.width, header.height);
  return header;
}

std::string describeColourType(const PngHeader& header) {
  const std::string depth = std::to_string(header.bitDepth) + "-bit ";
  switch (header.colourType) {
    case 0:
      return depth + "grayscale";
    case 2:
      return depth + "RGB colour";
    case 3:
      return depth + "palette colour";
    case 4:
      return depth + "grayscale with alpha";
    default:
      return depth + "RGBA colour";
  }
}

}  // namespace cfx::io
