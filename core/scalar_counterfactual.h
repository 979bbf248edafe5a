#pragma once

#include <map>
#include <string>
#include <vector>

#include "intervention.h"
#include "scalar_scm.h"

namespace cfx {

// One subject's scalar counterfactual, as the explorer's panel shows it.
struct ScalarCounterfactual {
  std::map<std::string, double> factual;
  std::map<std::string, double> counterfactual;
  std::vector<std::string> intervened;
  std::vector<std::string> changedThroughScm;  // descendants whose value moved
  std::vector<std::string> notes;              // e.g. values clamped into the supported range
};

// Abducts the observation's noise, applies the interventions (absolute or relative to the
// observed value, range-checked by `policy`) and predicts every descendant. `observation` must
// hold every graph variable.
ScalarCounterfactual scalarCounterfactual(ScalarScmImpl& scm,
                                          const std::map<std::string, double>& observation,
                                          const std::vector<Intervention>& interventions,
                                          OutOfRangePolicy policy, at::Generator& generator);

}  // namespace cfx
