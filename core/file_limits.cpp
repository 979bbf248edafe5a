#include "file_limits.h"

#include <filesystem>
#include <fstream>

#include "validation_error.h"

namespace cfx {

std::uintmax_t checkFileSize(const std::string& path, std::uintmax_t maxBytes,
                             const std::string& what) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error))
    throw ValidationError(path, "open", "no such file");
  const auto bytes = std::filesystem::file_size(path, error);
  if (error) throw ValidationError(path, "open", "cannot read its size: " + error.message());
  if (bytes > maxBytes)
    throw ValidationError(path, "size",
                          std::to_string(bytes >> 20) + " MiB is larger than the supported " +
                              std::to_string(maxBytes >> 20) + " MiB for " + what);
  return bytes;
}

std::vector<unsigned char> readFileBytes(const std::string& path, std::uintmax_t maxBytes,
                                         const std::string& what) {
  std::vector<unsigned char> bytes(checkFileSize(path, maxBytes, what));
  std::ifstream in(path, std::ios::binary);
  if (!in || !in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(bytes.size())))
    throw ValidationError(path, "read", "cannot read the file");
  return bytes;
}

}  // namespace cfx
