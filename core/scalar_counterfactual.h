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

// Step 1 of a scalar counterfactual for one subject: its values as a [1, V] row and the abducted
// noise of every variable. Done once per subject; `observation` must hold every graph variable.
struct ScalarAbduction {
  std::map<std::string, double> observation;
  torch::Tensor values;
  std::vector<torch::Tensor> noise;
};
ScalarAbduction abductScalars(ScalarScmImpl& scm, const std::map<std::string, double>& observation,
                              at::Generator& generator);

// Steps 2 and 3: applies the interventions (absolute or relative to the observed value,
// range-checked by `policy`) and predicts every descendant with the abducted noise.
ScalarCounterfactual scalarCounterfactual(ScalarScmImpl& scm, const ScalarAbduction& abduction,
                                          const std::vector<Intervention>& interventions,
                                          OutOfRangePolicy policy);

// Both steps at once.
ScalarCounterfactual scalarCounterfactual(ScalarScmImpl& scm,
                                          const std::map<std::string, double>& observation,
                                          const std::vector<Intervention>& interventions,
                                          OutOfRangePolicy policy, at::Generator& generator);

}  // namespace cfx
