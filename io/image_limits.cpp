#include "image_limits.h"

#include <filesystem>

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
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) throw IoError(path, "open", "no such file");
  const auto bytes = std::filesystem::file_size(path, error);
  if (error) throw IoError(path, "open", "cannot read its size: " + error.message());
  if (std::int64_t(bytes) > kMaxImageFileBytes)
    throw IoError(path, "size",
                  std::to_string(bytes >> 20) + " MiB is larger than the supported " +
                      std::to_string(kMaxImageFileBytes >> 20) + " MiB for an image file");
}

}  // namespace cfx::io
