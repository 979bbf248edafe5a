// libFuzzer harness: the safetensors reader from bytes.
#include <vector>

#include "safetensors.h"
#include "validation_error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    std::map<std::string, std::string> metadata;
    cfx::parseSafetensors(std::vector<unsigned char>(data, data + size), "input.safetensors",
                          &metadata);
  } catch (const cfx::ValidationError&) {
  }
  return 0;
}
