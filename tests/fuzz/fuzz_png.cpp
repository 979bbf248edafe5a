// libFuzzer harness: the PNG readers (radiographs and label maps) from bytes.
#include <vector>

#include "png_io.h"
#include "validation_error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<unsigned char> bytes(data, data + size);
  try {
    cfx::io::decodeGrayPng(bytes, "input.png");
  } catch (const cfx::ValidationError&) {
  }
  try {
    cfx::io::decodeLabelPng(bytes, "input.png");
  } catch (const cfx::ValidationError&) {
  }
  return 0;
}
