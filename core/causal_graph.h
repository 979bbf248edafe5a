#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace cfx {

enum class VariableKind { Continuous, Binary, Categorical };

std::string toString(VariableKind kind);

// One node of the scalar causal graph. Areas of structures carry the label they have in the
// label maps (mask_label), which is how the segmentor and the data set are tied to the graph.
struct Variable {
  std::string name;
  VariableKind kind = VariableKind::Continuous;
  std::string unit;
  double min = 0.0;  // supported range; interventions outside it are rejected or clamped
  double max = 1.0;
  std::vector<std::string> parents;
  std::vector<std::string> categories;  // names of the discrete values, index = value
  std::optional<int> maskLabel;
};

// The causal graph as data: parsed from JSON, validated on load, with a fixed topological order.
class CausalGraph {
 public:
  static constexpr int kFormatVersion = 1;

  // `source` names the origin (usually a file path) in every error message.
  static CausalGraph fromJson(const nlohmann::json& json, const std::string& source);
  static CausalGraph fromVariables(std::vector<Variable> variables, const std::string& source);
  nlohmann::json toJson() const;

  const std::vector<Variable>& variables() const { return variables_; }
  const Variable& variable(const std::string& name) const;
  std::optional<size_t> indexOf(const std::string& name) const;
  // Indices into variables() with every parent before its children.
  const std::vector<size_t>& topologicalOrder() const { return order_; }
  // True when `name` is `ancestor` or reachable from it along directed edges.
  bool dependsOn(const std::string& name, const std::string& ancestor) const;
  // Value for a discrete variable given a category name or a number ("F", "M", "0", "1").
  std::optional<double> parseValue(const Variable& variable, const std::string& text) const;

 private:
  std::vector<Variable> variables_;
  std::vector<size_t> order_;
};

}  // namespace cfx
