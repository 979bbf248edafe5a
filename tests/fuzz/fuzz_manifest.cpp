// libFuzzer harness: the manifest reader against the phantom's causal graph.
#include "fuzz_input_file.h"
#include "manifest.h"
#include "phantom_scm.h"
#include "validation_error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const cfx::CausalGraph graph = cfx::phantom::PhantomScm::graph();
  const std::string path = cfx::fuzz::writeInput("manifest.csv", data, size);
  try {
    cfx::data::readManifest(path, graph);
  } catch (const cfx::ValidationError&) {
  }
  return 0;
}
