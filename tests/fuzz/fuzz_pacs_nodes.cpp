// libFuzzer harness: the PACS node file.
#include "fuzz_input_file.h"
#include "pacs_node.h"
#include "validation_error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = cfx::fuzz::writeInput("nodes.json", data, size);
  try {
    cfx::pacs::loadNodes(path);
  } catch (const cfx::ValidationError&) {
  }
  return 0;
}
