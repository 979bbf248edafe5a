#include "image_limits.h"

#include "file_limits.h"
#include "io_error.h"

namespace cfx::io {

void checkImageSize(const std::string& source, const std::string& field, std::int64_t width,
                    std::int64_t height) {
  const std::string size = std::to_string(width) + " x " + std::to_string(height);
  if (width <= 0 || height <= 0)
    throw IoError(source, field, "image size " + size + ": expected at least 1 x 1");
  if (width > kMaxImageSide || height > kMaxImageSide || width * height > kMaxImagePixels)
    throw IoError(source, field,
                  "image size " + size + " is larger than the supported " +
                      std::to_string(kMaxImageSide) + " pixels a side and " +
                      std::to_string(kMaxImagePixels / 1000000) + " megapixels");
}

void checkImageFileSize(const std::string& path) {
  checkFileSize(path, kMaxImageFileBytes, "an image file");
}

std::vector<unsigned char> readImageFile(const std::string& path) {
  return readFileBytes(path, kMaxImageFileBytes, "an image file");
}

}  // namespace cfx::io
