#pragma once

#include <string>
#include <vector>

#include "causal_graph.h"

namespace cfx {

// do(variable := value): either an absolute value or a change relative to the observed one.
struct Intervention {
  std::string variable;
  double amount = 0.0;
  bool relative = false;  // amount is a fraction: -0.2 means 20 % smaller than observed
};

enum class OutOfRangePolicy { Reject, Clamp };

struct ResolvedIntervention {
  std::string variable;
  double value = 0.0;
  std::string note;  // set when the value was clamped into the supported range
};

// Parses "left_lung_area=-20%", "age=63" or "sex=F"; the graph supplies names and categories.
Intervention parseIntervention(const std::string& spec, const CausalGraph& graph);

// Turns an intervention into an absolute value given the observed one, checking the variable's
// supported range: out-of-range values throw (Reject) or are clamped with a note (Clamp).
ResolvedIntervention resolveIntervention(const Intervention& intervention, double observed,
                                         const CausalGraph& graph, OutOfRangePolicy policy);

// A change of a continuous variable by a signed `fraction` of a typical size, clamped into its
// supported range: a structure area scales by (1 + fraction) of its observed value (the way a
// clinician asks, "20 % smaller"); any other continuous variable moves by the fraction of its
// range, since "10 % older" means little for a child. Evaluation plans and fine-tuning draws use
// the same rule, so training can see the changes the evaluation asks for.
double relativeChangeTarget(const Variable& variable, double observed, double fraction);

}  // namespace cfx
