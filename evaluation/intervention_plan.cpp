#include "intervention_plan.h"

#include <torch/torch.h>
#include <algorithm>

#include "intervention.h"
#include "trainer.h"

namespace cfx::evaluation {

std::vector<PlannedIntervention> planInterventions(const CausalGraph& graph,
                                                   const torch::Tensor& attributes, int64_t count,
                                                   std::uint64_t seed) {
  at::Generator g = makeGenerator(seed, 7);
  const auto uniform = [&] { return torch::rand({1}, g, torch::TensorOptions()).item<double>(); };
  std::vector<PlannedIntervention> plan;
  for (int64_t i = 0; i < count; ++i) {
    PlannedIntervention p;
    p.subject = torch::randint(attributes.size(0), {1}, g, torch::kInt64).item<int64_t>();
    p.variable = size_t(
        torch::randint(int64_t(graph.variables().size()), {1}, g, torch::kInt64).item<int64_t>());
    const Variable& v = graph.variables()[p.variable];
    const double observed = attributes[p.subject][int64_t(p.variable)].item<double>();
    const double magnitude = 0.1 + 0.2 * uniform();
    const double sign = uniform() < 0.5 ? -1.0 : 1.0;
    if (v.kind == VariableKind::Binary)
      p.target = 1.0 - observed;
    else if (v.kind == VariableKind::Categorical)
      p.target = double((int64_t(observed) + 1) % int64_t(v.categories.size()));
    else
      p.target = relativeChangeTarget(v, observed, sign * magnitude);
    p.target = std::clamp(p.target, v.min, v.max);
    plan.push_back(p);
  }
  return plan;
}

}  // namespace cfx::evaluation
