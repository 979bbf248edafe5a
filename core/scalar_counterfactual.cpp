#include "scalar_counterfactual.h"

#include "validation_error.h"

namespace cfx {

ScalarAbduction abductScalars(ScalarScmImpl& scm, const std::map<std::string, double>& observation,
                              at::Generator& generator) {
  const CausalGraph& graph = scm.graph();
  const int64_t count = int64_t(graph.variables().size());
  ScalarAbduction abduction{observation, torch::empty({1, count}), {}};
  for (int64_t v = 0; v < count; ++v) {
    const auto& name = graph.variables()[size_t(v)].name;
    const auto it = observation.find(name);
    if (it == observation.end())
      throw ValidationError("observation", "variable '" + name + "'", "missing");
    abduction.values[0][v] = it->second;
  }
  torch::NoGradGuard noGrad;
  abduction.noise = scm.abduct(abduction.values, generator);
  return abduction;
}

ScalarCounterfactual scalarCounterfactual(ScalarScmImpl& scm, const ScalarAbduction& abduction,
                                          const std::vector<Intervention>& interventions,
                                          OutOfRangePolicy policy) {
  const CausalGraph& graph = scm.graph();
  const int64_t count = int64_t(graph.variables().size());
  auto mask = torch::zeros({1, count}, torch::kBool);
  auto targets = abduction.values.clone();
  ScalarCounterfactual result;
  result.factual = abduction.observation;
  for (const Intervention& intervention : interventions) {
    const auto resolved = resolveIntervention(
        intervention, abduction.observation.at(intervention.variable), graph, policy);
    const int64_t v = int64_t(*graph.indexOf(resolved.variable));
    mask[0][v] = true;
    targets[0][v] = resolved.value;
    result.intervened.push_back(resolved.variable);
    if (!resolved.note.empty()) result.notes.push_back(resolved.note);
  }
  torch::NoGradGuard noGrad;
  const auto cf = scm.counterfactual(abduction.values, abduction.noise, mask, targets);
  for (int64_t v = 0; v < count; ++v) {
    const auto& name = graph.variables()[size_t(v)].name;
    result.counterfactual[name] = cf[0][v].item<double>();
    if (!mask[0][v].item<bool>() && result.counterfactual[name] != abduction.observation.at(name))
      result.changedThroughScm.push_back(name);
  }
  return result;
}

ScalarCounterfactual scalarCounterfactual(ScalarScmImpl& scm,
                                          const std::map<std::string, double>& observation,
                                          const std::vector<Intervention>& interventions,
                                          OutOfRangePolicy policy, at::Generator& generator) {
  return scalarCounterfactual(scm, abductScalars(scm, observation, generator), interventions,
                              policy);
}

}  // namespace cfx
