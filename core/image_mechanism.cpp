#include "image_mechanism.h"

#include "json_fields.h"
#include "model_bundle.h"
#include "validation_error.h"

namespace cfx {

ImageMechanism loadImageMechanism(const std::string& modelDir) {
  const std::string source = modelDir + "/model.json";
  const auto component = ModelBundle::loadComponent(modelDir, "hvae");
  const auto& config = component.config;
  if (!config.contains("hvae") || !config.contains("parents") || !config.contains("size") ||
      !config.at("size").is_number_integer())
    throw ValidationError(source, "components.hvae.config",
                          "expected {hvae, parents, size (integer)}");
  checkRange(config.at("size").get<int64_t>(), 8, 1024, source, "components.hvae.config.size");
  ImageMechanism mechanism{Hvae(HvaeConfig::fromJson(config.at("hvae"), source)),
                           ParentEncoding::fromJson(config.at("parents"), source),
                           config.at("size").get<int64_t>(), config};
  loadModuleWeights(*mechanism.hvae, component.weights, component.weightsPath);
  mechanism.hvae->eval();
  return mechanism;
}

nlohmann::json imageMechanismConfig(const HvaeConfig& hvae, const ParentEncoding& parents,
                                    int64_t size) {
  return {{"hvae", hvae.toJson()}, {"size", size}, {"parents", parents.toJson()}};
}

}  // namespace cfx
