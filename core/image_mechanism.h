#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "hvae.h"
#include "parent_encoding.h"

namespace cfx {

// The image mechanism of a model folder: the HVAE, how it encodes its parents, its image size,
// and the component's stored configuration (which records any fine-tuning).
struct ImageMechanism {
  Hvae hvae{nullptr};
  ParentEncoding parents;
  int64_t size = 0;
  nlohmann::json config;
};

// Loads the "hvae" component in eval mode; errors name model.json and the field.
ImageMechanism loadImageMechanism(const std::string& modelDir);

// The component configuration that loadImageMechanism reads back.
nlohmann::json imageMechanismConfig(const HvaeConfig& hvae, const ParentEncoding& parents,
                                    int64_t size);

}  // namespace cfx
