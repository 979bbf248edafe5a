#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cfx {

// A file's size, checked before it is read: a ValidationError naming the file when it is missing
// ("open: no such file") or larger than `maxBytes` ("size: N MiB is larger than the supported
// M MiB for <what>"), so that no input file makes a reader allocate without bound.
std::uintmax_t checkFileSize(const std::string& path, std::uintmax_t maxBytes,
                             const std::string& what);

// The whole file, after checkFileSize.
std::vector<unsigned char> readFileBytes(const std::string& path, std::uintmax_t maxBytes,
                                         const std::string& what);

}  // namespace cfx
