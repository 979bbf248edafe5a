#pragma once

#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <string>

#include "safetensors.h"

namespace cfx {

// A model folder: model.json lists the components (scm, hvae, segmentor, ...), each with its
// configuration and a safetensors weight file beside it. Components are saved one at a time as
// training stages finish; model.json is rewritten atomically each time.
class ModelBundle {
 public:
  static constexpr int kFormatVersion = 1;

  static void saveComponent(const std::string& dir, const std::string& name,
                            const nlohmann::json& config, const NamedTensors& weights,
                            const nlohmann::json& provenance = {});
  struct Component {
    nlohmann::json config;
    nlohmann::json provenance;
    NamedTensors weights;
    std::string weightsPath;
  };
  // Throws ValidationError naming model.json or the weight file when something is missing or
  // from another format version.
  static Component loadComponent(const std::string& dir, const std::string& name);
  static bool hasComponent(const std::string& dir, const std::string& name);
  // The training runs a component's weights descend from, oldest first, ending with the one that
  // wrote them: each its provenance (without its own lineage), the SHA-256 of the weights it
  // wrote and, for a fine-tuning run, its settings. A run that continues this component stores
  // it as its provenance's "started_from", so a chain of runs stays readable from the last folder.
  static nlohmann::json lineage(const std::string& dir, const std::string& name);
};

// Parameters and buffers of a module by name.
NamedTensors moduleWeights(torch::nn::Module& module);
// Copies weights into a module, checking that every tensor is present with the right shape; the
// error names `source` and the tensor.
void loadModuleWeights(torch::nn::Module& module, const NamedTensors& weights,
                       const std::string& source);

}  // namespace cfx
