// libFuzzer harness: the validation of a causal graph, of every component's configuration and of
// a model folder's model.json, from any JSON text.
#include "causal_graph.h"
#include "fuzz_input_file.h"
#include "hvae.h"
#include "model_bundle.h"
#include "parent_encoding.h"
#include "predictor.h"
#include "scalar_scm.h"
#include "segmentor.h"
#include "validation_error.h"

namespace {

template <typename Parse>
void refusedOrAccepted(Parse parse) {
  try {
    parse();
  } catch (const cfx::ValidationError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = cfx::fuzz::writeInput("model.json", data, size);
  refusedOrAccepted([&] { cfx::ModelBundle::loadComponent(cfx::fuzz::scratchFolder(), "scm"); });
  const auto json = nlohmann::json::parse(data, data + size, nullptr, false);
  if (json.is_discarded()) return 0;
  refusedOrAccepted([&] { cfx::CausalGraph::fromJson(json, "graph.json"); });
  refusedOrAccepted([&] { cfx::HvaeConfig::fromJson(json, "model.json"); });
  refusedOrAccepted([&] { cfx::SegmentorConfig::fromJson(json, "model.json"); });
  refusedOrAccepted([&] { cfx::ScmConfig::fromJson(json, "model.json"); });
  refusedOrAccepted([&] { cfx::PredictorConfig::fromJson(json, "model.json"); });
  refusedOrAccepted([&] { cfx::ParentEncoding::fromJson(json, "model.json"); });
  refusedOrAccepted([&] { cfx::ScalarScmImpl::fromJson(json, "model.json"); });
  return 0;
}
