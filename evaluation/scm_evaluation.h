#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace cfx::evaluation {

struct ScmEvaluation {
  std::string table;    // as text
  nlohmann::json json;  // the same numbers
};

// A model folder's fitted SCM against a phantom data set's true counterfactuals: random test
// subjects, one random variable each set to another test subject's value (sex flipped),
// descendants predicted by the model vs recomputed by the phantom with the stored noise.
ScmEvaluation evaluateScm(const std::string& modelDir, const std::string& phantomDir,
                          int64_t interventions, std::uint64_t seed);

}  // namespace cfx::evaluation
