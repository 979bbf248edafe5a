// libFuzzer harness: the image readers from bytes: PNG (radiographs and label maps), GIF masks
// and JPEG radiographs (the corpus is shared: each reader meets the others' files too).
#include <vector>

#include "gif_decoder.h"
#include "jpeg_io.h"
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
  try {
    cfx::io::decodeGifLuminance(bytes, "input.gif");
  } catch (const cfx::ValidationError&) {
  }
  try {
    cfx::io::decodeGrayJpeg(bytes, "input.jpg");
  } catch (const cfx::ValidationError&) {
  }
  return 0;
}
