#include "scalar_counterfactual.h"

#include "validation_error.h"

namespace cfx {

ScalarCounterfactual scalarCounterfactual(ScalarScmImpl& scm,
                                          const std::map<std::string, double>& observation,
                                          const std::vector<Intervention>& interventions,
                                          OutOfRangePolicy policy, at::Generator& generator) {
  const CausalGraph& graph = scm.graph();
  const int64_t count = int64_t(graph.variables().size());
  auto values = torch::empty({1, count});
  for (int64_t v = 0; v < count; ++v) {
    const auto& name = graph.variables()[size_t(v)].name;
    const auto it = observation.find(name);
    if (it == observation.end())
      throw ValidationError("observation", "variable '" + name + "'", "missing");
    values[0][v] = it->second;
  }
  auto mask = torch::zeros({1, count}, torch::kBool);
  auto targets = values.clone();
  ScalarCounterfactual result;
  result.factual = observation;
  for (const Intervention& intervention : interventions) {
    const auto resolved =
        resolveIntervention(intervention, observation.at(intervention.variable), graph, policy);
    const int64_t v = int64_t(*graph.indexOf(resolved.variable));
    mask[0][v] = true;
    targets[0][v] = resolved.value;
    result.intervened.push_back(resolved.variable);
    if (!resolved.note.empty()) result.notes.push_back(resolved.note);
  }
  torch::NoGradGuard noGrad;
  const auto noise = scm.abduct(values, generator);
  const auto cf = scm.counterfactual(values, noise, mask, targets);
  for (int64_t v = 0; v < count; ++v) {
    const auto& name = graph.variables()[size_t(v)].name;
    result.counterfactual[name] = cf[0][v].item<double>();
    if (!mask[0][v].item<bool>() && result.counterfactual[name] != observation.at(name))
      result.changedThroughScm.push_back(name);
  }
  return result;
}

}  // namespace cfx
