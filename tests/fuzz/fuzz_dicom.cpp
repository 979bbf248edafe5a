// libFuzzer harness: the DICOM reader. Any input must give an image or a ValidationError;
// everything else (a crash, a sanitizer report, another exception, a leak) is a finding.
#include "dicom_io.h"
#include "fuzz_input_file.h"
#include "validation_error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = cfx::fuzz::writeInput("input.dcm", data, size);
  try {
    const auto radiograph = cfx::io::readDicom(path);
    if (radiograph.image.pixels.empty()) __builtin_trap();
  } catch (const cfx::ValidationError&) {
  }
  return 0;
}
