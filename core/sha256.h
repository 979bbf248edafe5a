#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace cfx {

// SHA-256 (FIPS 180-4), for the checksums a model folder keeps of its weight files.
class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  std::string hexDigest();  // finishes the hash; call once

 private:
  void block(const unsigned char* chunk);
  std::uint32_t state_[8];
  unsigned char buffer_[64];
  std::size_t buffered_ = 0;
  std::uint64_t total_ = 0;
};

// The hex SHA-256 of a file's content; throws a ValidationError when it cannot be read.
std::string sha256OfFile(const std::string& path);

}  // namespace cfx
