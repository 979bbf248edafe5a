#include "safetensors.h"

#include <unistd.h>

#include <torch/torch.h>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "file_limits.h"
#include "validation_error.h"

namespace cfx {
namespace {

constexpr std::uint64_t kMaxHeaderBytes = 100 * 1024 * 1024;
// Weights of the models here are tens of MB; a file above this is not one of ours.
constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t(1) << 30;

struct DtypeName {
  torch::Dtype dtype;
  const char* name;
};
const DtypeName kDtypes[] = {{torch::kFloat32, "F32"}, {torch::kFloat64, "F64"},
                             {torch::kInt64, "I64"},   {torch::kInt32, "I32"},
                             {torch::kUInt8, "U8"},    {torch::kBool, "BOOL"}};

const char* dtypeName(torch::Dtype dtype, const std::string& path, const std::string& name) {
  for (const auto& d : kDtypes)
    if (d.dtype == dtype) return d.name;
  throw ValidationError(path, "tensor '" + name + "'",
                        "unsupported dtype " + std::string(c10::toString(dtype)));
}

}  // namespace

void saveSafetensors(const std::string& path, const NamedTensors& tensors,
                     const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> contiguous;
  std::uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
    const std::uint64_t bytes = std::uint64_t(t.numel()) * t.element_size();
    header[name] = {{"dtype", dtypeName(t.scalar_type(), path, name)},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    contiguous.push_back(t);
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the format pads the header to 8 bytes with spaces
  const std::string temporary = path + ".partial-" + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw ValidationError(path, "write", "cannot create the file");
    const std::uint64_t length = text.size();
    out.write(reinterpret_cast<const char*>(&length), 8);
    out.write(text.data(), std::streamsize(text.size()));
    for (const auto& t : contiguous)
      out.write(static_cast<const char*>(t.data_ptr()),
                std::streamsize(t.numel() * t.element_size()));
    if (!out.flush()) {
      out.close();
      std::filesystem::remove(temporary);
      throw ValidationError(path, "write", "writing failed (disk full?)");
    }
  }
  std::filesystem::rename(temporary, path);
}

namespace {

// One tensor's entry in the header, checked completely before anything is allocated for it.
struct TensorEntry {
  std::string name;
  torch::Dtype dtype = torch::kFloat32;
  std::vector<int64_t> shape;
  std::uint64_t begin = 0, end = 0;
};

TensorEntry parseEntry(const std::string& name, const nlohmann::json& entry, std::uint64_t dataSize,
                       const std::string& path) {
  const std::string where = "tensor '" + name + "'";
  if (!entry.is_object()) throw ValidationError(path, where, "expected an object in the header");
  TensorEntry result;
  result.name = name;
  const auto dtype = entry.find("dtype");
  std::string dtypeText =
      dtype != entry.end() && dtype->is_string() ? dtype->get<std::string>() : "";
  bool known = false;
  std::int64_t elementSize = 0;
  for (const auto& d : kDtypes)
    if (dtypeText == d.name) {
      result.dtype = d.dtype, known = true;
      elementSize = std::int64_t(c10::elementSize(d.dtype));
    }
  if (!known)
    throw ValidationError(path, where + " dtype", "unsupported dtype '" + dtypeText + "'");
  const auto shape = entry.find("shape");
  if (shape == entry.end() || !shape->is_array() || shape->size() > 8)
    throw ValidationError(path, where + " shape", "expected a list of at most 8 sizes");
  std::uint64_t count = 1;
  for (const auto& size : *shape) {
    if (!size.is_number_unsigned() || size.get<std::uint64_t>() > (std::uint64_t(1) << 40))
      throw ValidationError(path, where + " shape", "sizes must be non-negative integers");
    const std::uint64_t n = size.get<std::uint64_t>();
    if (n != 0 && count > (std::uint64_t(1) << 40) / n)
      throw ValidationError(path, where + " shape", "too many elements");
    count *= n;
    result.shape.push_back(std::int64_t(n));
  }
  const auto offsets = entry.find("data_offsets");
  if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 ||
      !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned())
    throw ValidationError(path, where + " data_offsets", "expected [begin, end] byte offsets");
  result.begin = (*offsets)[0].get<std::uint64_t>();
  result.end = (*offsets)[1].get<std::uint64_t>();
  if (result.begin > result.end || result.end > dataSize ||
      result.end - result.begin != count * std::uint64_t(elementSize))
    throw ValidationError(
        path, where, "byte range does not match its shape or lies past the end (truncated file?)");
  return result;
}

}  // namespace

NamedTensors parseSafetensors(const std::vector<unsigned char>& bytes, const std::string& path,
                              std::map<std::string, std::string>* metadata) {
  std::uint64_t length = 0;
  if (bytes.size() < 8) throw ValidationError(path, "header", "not a safetensors file (too short)");
  std::memcpy(&length, bytes.data(), 8);
  if (length > kMaxHeaderBytes || 8 + length > bytes.size())
    throw ValidationError(path, "header", "not a safetensors file (bad header length)");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + std::ptrdiff_t(length));
  } catch (const nlohmann::json::exception& e) {
    throw ValidationError(path, "header", std::string("invalid JSON: ") + e.what());
  }
  if (!header.is_object()) throw ValidationError(path, "header", "expected a JSON object");
  const std::uint64_t dataStart = 8 + length, dataSize = bytes.size() - dataStart;
  std::vector<TensorEntry> entries;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object())
        throw ValidationError(path, "__metadata__", "expected an object of strings");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string())
          throw ValidationError(path, "__metadata__." + key, "expected a string");
        if (metadata) (*metadata)[key] = value.get<std::string>();
      }
      continue;
    }
    entries.push_back(parseEntry(name, entry, dataSize, path));
  }
  NamedTensors tensors;
  for (const TensorEntry& entry : entries) {
    auto t = torch::empty(entry.shape, torch::TensorOptions().dtype(entry.dtype));
    if (entry.end > entry.begin)
      std::memcpy(t.data_ptr(), bytes.data() + dataStart + entry.begin, entry.end - entry.begin);
    tensors[entry.name] = t;
  }
  return tensors;
}

std::vector<unsigned char> readSafetensorsFile(const std::string& path) {
  return readFileBytes(path, kMaxFileBytes, "a weight file");
}

NamedTensors loadSafetensors(const std::string& path,
                             std::map<std::string, std::string>* metadata) {
  return parseSafetensors(readSafetensorsFile(path), path, metadata);
}

}  // namespace cfx
