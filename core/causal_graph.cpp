#include "causal_graph.h"

#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "validation_error.h"

namespace cfx {
namespace {

VariableKind parseKind(const std::string& text, const std::string& source,
                       const std::string& where) {
  if (text == "continuous") return VariableKind::Continuous;
  if (text == "binary") return VariableKind::Binary;
  if (text == "categorical") return VariableKind::Categorical;
  throw ValidationError(
      source, where + ".kind",
      "expected \"continuous\", \"binary\" or \"categorical\", got \"" + text + "\"");
}

template <typename T>
T required(const nlohmann::json& object, const char* key, const std::string& source,
           const std::string& where, const char* expected) {
  if (!object.contains(key))
    throw ValidationError(source, where + "." + key, std::string("missing; expected ") + expected);
  try {
    return object.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw ValidationError(source, where + "." + key,
                          std::string("expected ") + expected + ", got " + object.at(key).dump());
  }
}

}  // namespace

std::string toString(VariableKind kind) {
  switch (kind) {
    case VariableKind::Continuous:
      return "continuous";
    case VariableKind::Binary:
      return "binary";
    case VariableKind::Categorical:
      return "categorical";
  }
  return "unknown";
}

CausalGraph CausalGraph::fromJson(const nlohmann::json& json, const std::string& source) {
  if (!json.is_object()) throw ValidationError(source, "top level", "expected a JSON object");
  const auto format = required<std::string>(json, "format", source, "top level", "\"cfx-graph\"");
  if (format != "cfx-graph")
    throw ValidationError(source, "format", "expected \"cfx-graph\", got \"" + format + "\"");
  const int version = required<int>(json, "version", source, "top level", "an integer");
  if (version != kFormatVersion)
    throw ValidationError(
        source, "version",
        "expected " + std::to_string(kFormatVersion) + ", got " + std::to_string(version));
  if (!json.contains("variables") || !json.at("variables").is_array())
    throw ValidationError(source, "variables", "missing; expected an array of variables");

  std::vector<Variable> variables;
  const auto& list = json.at("variables");
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& item = list[i];
    std::string where = "variables[" + std::to_string(i) + "]";
    if (!item.is_object()) throw ValidationError(source, where, "expected an object");
    Variable v;
    v.name = required<std::string>(item, "name", source, where, "a string");
    where += " (" + v.name + ")";
    v.kind =
        parseKind(required<std::string>(item, "kind", source, where, "a string"), source, where);
    v.unit = item.value("unit", "");
    const auto range = required<std::vector<double>>(item, "range", source, where, "[min, max]");
    if (range.size() != 2) throw ValidationError(source, where + ".range", "expected [min, max]");
    v.min = range[0];
    v.max = range[1];
    v.parents =
        required<std::vector<std::string>>(item, "parents", source, where, "an array of names");
    if (item.contains("categories"))
      v.categories = required<std::vector<std::string>>(item, "categories", source, where,
                                                        "an array of names");
    if (item.contains("mask_label"))
      v.maskLabel = required<int>(item, "mask_label", source, where, "an integer");
    variables.push_back(std::move(v));
  }
  return fromVariables(std::move(variables), source);
}

CausalGraph CausalGraph::fromVariables(std::vector<Variable> variables, const std::string& source) {
  std::map<std::string, size_t> index;
  std::set<int> labels;
  for (size_t i = 0; i < variables.size(); ++i) {
    const Variable& v = variables[i];
    const std::string where = "variable '" + v.name + "'";
    if (v.name.empty())
      throw ValidationError(source, "variables[" + std::to_string(i) + "]", "empty name");
    if (!index.emplace(v.name, i).second) throw ValidationError(source, where, "duplicate name");
    if (!std::isfinite(v.min) || !std::isfinite(v.max) || !(v.min < v.max))
      throw ValidationError(source, where + " range",
                            "expected finite min < max, got [" + std::to_string(v.min) + ", " +
                                std::to_string(v.max) + "]");
    if (v.kind == VariableKind::Binary && v.categories.size() != 2)
      throw ValidationError(source, where + " categories",
                            "a binary variable needs exactly 2 names (for 0 and 1), got " +
                                std::to_string(v.categories.size()));
    if (v.kind != VariableKind::Continuous && (v.min != 0.0 || v.max < 1.0))
      throw ValidationError(source, where + " range", "a discrete variable's range starts at 0");
    if (v.kind == VariableKind::Categorical && v.categories.size() < 2)
      throw ValidationError(source, where + " categories",
                            "a categorical variable needs at least 2 names");
    if (v.maskLabel) {
      if (*v.maskLabel < 1 || *v.maskLabel > 255)
        throw ValidationError(source, where + " mask_label", "expected 1..255");
      if (!labels.insert(*v.maskLabel).second)
        throw ValidationError(source, where + " mask_label", "label used by another variable");
    }
  }
  for (const Variable& v : variables) {
    std::set<std::string> seen;
    for (const std::string& p : v.parents) {
      if (!index.count(p))
        throw ValidationError(source, "variable '" + v.name + "'", "unknown parent '" + p + "'");
      if (p == v.name)
        throw ValidationError(source, "variable '" + v.name + "'", "is its own parent");
      if (!seen.insert(p).second)
        throw ValidationError(source, "variable '" + v.name + "'",
                              "parent '" + p + "' listed twice");
    }
  }

  // Depth-first topological sort; keeps the file's order among independent variables.
  CausalGraph graph;
  graph.variables_ = std::move(variables);
  std::vector<int> state(graph.variables_.size(), 0);  // 0 new, 1 on the stack, 2 done
  std::function<void(size_t, std::vector<std::string>&)> visit =
      [&](size_t i, std::vector<std::string>& path) {
        if (state[i] == 2) return;
        path.push_back(graph.variables_[i].name);
        if (state[i] == 1) {
          std::string cycle;
          for (const auto& n : path) cycle += (cycle.empty() ? "" : " <- ") + n;
          throw ValidationError(source, "variables", "cycle: " + cycle);
        }
        state[i] = 1;
        for (const std::string& p : graph.variables_[i].parents) visit(index.at(p), path);
        state[i] = 2;
        path.pop_back();
        graph.order_.push_back(i);
      };
  for (size_t i = 0; i < graph.variables_.size(); ++i) {
    std::vector<std::string> path;
    visit(i, path);
  }
  return graph;
}

nlohmann::json CausalGraph::toJson() const {
  nlohmann::json list = nlohmann::json::array();
  for (const Variable& v : variables_) {
    nlohmann::json item = {{"name", v.name},
                           {"kind", toString(v.kind)},
                           {"unit", v.unit},
                           {"range", {v.min, v.max}},
                           {"parents", v.parents}};
    if (!v.categories.empty()) item["categories"] = v.categories;
    if (v.maskLabel) item["mask_label"] = *v.maskLabel;
    list.push_back(item);
  }
  return {{"format", "cfx-graph"}, {"version", kFormatVersion}, {"variables", list}};
}

const Variable& CausalGraph::variable(const std::string& name) const {
  const auto i = indexOf(name);
  if (!i) throw ValidationError("causal graph", "variable '" + name + "'", "not in the graph");
  return variables_[*i];
}

std::optional<size_t> CausalGraph::indexOf(const std::string& name) const {
  for (size_t i = 0; i < variables_.size(); ++i)
    if (variables_[i].name == name) return i;
  return std::nullopt;
}

bool CausalGraph::dependsOn(const std::string& name, const std::string& ancestor) const {
  if (name == ancestor) return true;
  for (const std::string& p : variable(name).parents)
    if (dependsOn(p, ancestor)) return true;
  return false;
}

std::optional<double> CausalGraph::parseValue(const Variable& variable,
                                              const std::string& text) const {
  for (size_t c = 0; c < variable.categories.size(); ++c)
    if (variable.categories[c] == text) return static_cast<double>(c);
  try {
    size_t used = 0;
    const double value = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(value)) return std::nullopt;
    return value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace cfx
