#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cfx::io {

// The largest image any reader accepts, checked from the file's header before anything is decoded,
// so that no input file can make a command allocate more than about 2 GB: 16384 pixels a side and
// 64 megapixels (a 8192 x 8192 radiograph; detectors are at most about 4300 a side), and 1 GiB of
// file.
constexpr std::int64_t kMaxImageSide = 16384;
constexpr std::int64_t kMaxImagePixels = 8192LL * 8192LL;
constexpr std::int64_t kMaxImageFileBytes = 1LL << 30;

// Throws an IoError naming `source` and `field` when width x height is not a usable image size.
void checkImageSize(const std::string& source, const std::string& field, std::int64_t width,
                    std::int64_t height);

// Throws when the file is larger than kMaxImageFileBytes (or missing).
void checkImageFileSize(const std::string& path);
// The whole image file, after that check.
std::vector<unsigned char> readImageFile(const std::string& path);

}  // namespace cfx::io
