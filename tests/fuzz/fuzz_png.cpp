// libFuzzer harness: the image readers from bytes: PNG (radiographs and label maps), GIF masks
// and JPEG radiographs (the corpus is shared: each reader meets the others' files too).
#include <vector>

#include "gif_decoder.h"
#include "jpeg_io.h"
#include "png_io.h"
#include "validation_error.h"

namespace {

// A reader may refuse the bytes with a ValidationError; anything else (a crash, another
// exception) is a finding.
template <typename Reader>
void refusesCleanly(Reader read) {
  try {
    read();
  } catch (const cfx::ValidationError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<unsigned char> bytes(data, data + size);
  refusesCleanly([&] { cfx::io::decodeGrayPng(bytes, "input.png"); });
  refusesCleanly([&] { cfx::io::decodeLabelPng(bytes, "input.png"); });
  refusesCleanly([&] { cfx::io::decodeGifLuminance(bytes, "input.gif"); });
  refusesCleanly([&] { cfx::io::decodeGrayJpeg(bytes, "input.jpg"); });
  return 0;
}
