#include "chest_graph.h"

#include <algorithm>
#include <set>

namespace cfx::data {

const std::map<std::string, int>& chestStructureLabels() {
  static const std::map<std::string, int> labels = {
      {"right_lung_area", 1}, {"left_lung_area", 2}, {"heart_area", 3}};
  return labels;
}

CausalGraph chestRadiographGraph(const std::map<std::string, std::vector<double>>& values,
                                 double margin, const std::string& source) {
  std::vector<Variable> all = {
      {"sex", VariableKind::Binary, "", 0, 1, {}, {"F", "M"}, std::nullopt},
      {"age", VariableKind::Continuous, "years", 0, 0, {}, {}, std::nullopt},
      {"heart_area", VariableKind::Continuous, "% of image", 0, 0, {"sex", "age"}, {}, 3},
      {"right_lung_area", VariableKind::Continuous, "% of image", 0, 0, {"sex", "age"}, {}, 1},
      {"left_lung_area",
       VariableKind::Continuous,
       "% of image",
       0,
       0,
       {"sex", "age", "heart_area"},
       {},
       2},
  };
  std::set<std::string> kept;
  std::vector<Variable> variables;
  for (auto& v : all) {
    const auto found = values.find(v.name);
    if (found == values.end() || found->second.empty()) continue;
    if (v.kind == VariableKind::Continuous) {
      const auto [low, high] = std::minmax_element(found->second.begin(), found->second.end());
      const double span = std::max(*high - *low, 1.0);
      v.min = std::max(0.0, *low - margin * span);
      v.max = *high + margin * span;
    }
    kept.insert(v.name);
    variables.push_back(v);
  }
  for (auto& v : variables)
    v.parents.erase(std::remove_if(v.parents.begin(), v.parents.end(),
                                   [&](const std::string& p) { return !kept.count(p); }),
                    v.parents.end());
  return CausalGraph::fromVariables(std::move(variables), source);
}

}  // namespace cfx::data
