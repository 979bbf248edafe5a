#include "intervention.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "validation_error.h"

namespace cfx {
namespace {

std::string formatNumber(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

}  // namespace

Intervention parseIntervention(const std::string& spec, const CausalGraph& graph) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
    throw ValidationError("intervention '" + spec + "'", "syntax",
                          "expected VARIABLE=VALUE or VARIABLE=+-N%");
  Intervention result;
  result.variable = spec.substr(0, eq);
  std::string valueText = spec.substr(eq + 1);
  const auto index = graph.indexOf(result.variable);
  if (!index) {
    std::string known;
    for (const auto& v : graph.variables()) known += (known.empty() ? "" : ", ") + v.name;
    throw ValidationError("intervention '" + spec + "'", "variable",
                          "unknown; expected one of " + known);
  }
  const Variable& variable = graph.variables()[*index];
  if (valueText.back() == '%') {
    if (variable.kind != VariableKind::Continuous)
      throw ValidationError("intervention '" + spec + "'", "value",
                            "a relative change needs a continuous variable; '" + variable.name +
                                "' is " + toString(variable.kind));
    valueText.pop_back();
    const auto percent = graph.parseValue(Variable{}, valueText);
    if (!percent)
      throw ValidationError("intervention '" + spec + "'", "value", "expected a number before %");
    result.amount = *percent / 100.0;
    result.relative = true;
    return result;
  }
  const auto value = graph.parseValue(variable, valueText);
  if (!value) {
    std::string expected = "a number";
    for (const auto& c : variable.categories) expected += ", " + c;
    throw ValidationError("intervention '" + spec + "'", "value", "expected " + expected);
  }
  result.amount = *value;
  return result;
}

ResolvedIntervention resolveIntervention(const Intervention& intervention, double observed,
                                         const CausalGraph& graph, OutOfRangePolicy policy) {
  const Variable& variable = graph.variable(intervention.variable);
  ResolvedIntervention resolved{intervention.variable, intervention.amount, {}};
  if (intervention.relative) resolved.value = observed * (1.0 + intervention.amount);
  if (variable.kind != VariableKind::Continuous) {
    const double rounded = std::round(resolved.value);
    const double count =
        variable.kind == VariableKind::Binary ? 2.0 : double(variable.categories.size());
    if (rounded != resolved.value || rounded < 0 || rounded >= count)
      throw ValidationError("intervention on '" + variable.name + "'", "value",
                            "expected a category index 0.." + formatNumber(count - 1) + ", got " +
                                formatNumber(resolved.value));
    return resolved;
  }
  if (resolved.value >= variable.min && resolved.value <= variable.max) return resolved;
  const std::string range =
      "[" + formatNumber(variable.min) + ", " + formatNumber(variable.max) + "]";
  if (policy == OutOfRangePolicy::Reject)
    throw ValidationError(
        "intervention on '" + variable.name + "'", "value",
        formatNumber(resolved.value) + " is outside the supported range " + range);
  const double clamped = std::clamp(resolved.value, variable.min, variable.max);
  resolved.note = variable.name + " " + formatNumber(resolved.value) + " clamped to " +
                  formatNumber(clamped) + " (supported range " + range + ")";
  resolved.value = clamped;
  return resolved;
}

double relativeChangeTarget(const Variable& variable, double observed, double fraction) {
  const double target = variable.maskLabel ? observed * (1.0 + fraction)
                                           : observed + fraction * (variable.max - variable.min);
  return std::clamp(target, variable.min, variable.max);
}

}  // namespace cfx
