#include "safetensors.h"

#include <unistd.h>

#include <torch/torch.h>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "validation_error.h"

namespace cfx {
namespace {

constexpr std::uint64_t kMaxHeaderBytes = 100 * 1024 * 1024;

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

NamedTensors loadSafetensors(const std::string& path,
                             std::map<std::string, std::string>* metadata) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ValidationError(path, "open", "cannot read the file");
  const auto fileSize = std::uint64_t(std::filesystem::file_size(path));
  std::uint64_t length = 0;
  if (!in.read(reinterpret_cast<char*>(&length), 8) || length > kMaxHeaderBytes ||
      8 + length > fileSize)
    throw ValidationError(path, "header", "not a safetensors file (bad header length)");
  std::string text(length, '\0');
  in.read(text.data(), std::streamsize(length));
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw ValidationError(path, "header", std::string("invalid JSON: ") + e.what());
  }
  const std::uint64_t dataStart = 8 + length, dataSize = fileSize - dataStart;
  NamedTensors tensors;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (metadata) *metadata = entry.get<std::map<std::string, std::string>>();
      continue;
    }
    const std::string where = "tensor '" + name + "'";
    torch::Dtype dtype = torch::kFloat32;
    bool known = false;
    const std::string dtypeText = entry.value("dtype", "");
    for (const auto& d : kDtypes)
      if (dtypeText == d.name) dtype = d.dtype, known = true;
    if (!known) throw ValidationError(path, where, "unsupported dtype '" + dtypeText + "'");
    const auto shape = entry.at("shape").get<std::vector<int64_t>>();
    const auto offsets = entry.at("data_offsets").get<std::vector<std::uint64_t>>();
    auto t = torch::empty(shape, torch::TensorOptions().dtype(dtype));
    const std::uint64_t bytes = std::uint64_t(t.numel()) * t.element_size();
    if (offsets.size() != 2 || offsets[1] - offsets[0] != bytes || offsets[1] > dataSize)
      throw ValidationError(
          path, where,
          "byte range does not match its shape or lies past the end (truncated file?)");
    in.seekg(std::streamoff(dataStart + offsets[0]));
    if (!in.read(static_cast<char*>(t.data_ptr()), std::streamsize(bytes)))
      throw ValidationError(path, where, "file ends early");
    tensors[name] = t;
  }
  return tensors;
}

}  // namespace cfx
