#pragma once

#include <torch/types.h>
#include <map>
#include <string>
#include <vector>

namespace cfx {

using NamedTensors = std::map<std::string, torch::Tensor>;

// The safetensors format (an 8-byte little-endian header length, a JSON header giving each
// tensor's dtype, shape and byte range, then the raw data): simple, documented, readable by
// Python's safetensors and numpy, and independent of the LibTorch version, unlike torch::save.
// Supported dtypes: F32, F64, I64, I32, U8, BOOL. Writing is atomic (temporary file, rename).
void saveSafetensors(const std::string& path, const NamedTensors& tensors,
                     const std::map<std::string, std::string>& metadata = {});
// Every header entry is checked (dtype, shape, byte range inside the file) before any tensor is
// allocated; files over 1 GiB are refused.
NamedTensors loadSafetensors(const std::string& path,
                             std::map<std::string, std::string>* metadata = nullptr);
// The file's bytes (refused over 1 GiB), for a caller that also hashes them.
std::vector<unsigned char> readSafetensorsFile(const std::string& path);
// The tensors from the file's bytes; `path` names it in messages.
NamedTensors parseSafetensors(const std::vector<unsigned char>& bytes, const std::string& path,
                              std::map<std::string, std::string>* metadata = nullptr);

}  // namespace cfx
