#pragma once

#include <map>
#include <string>
#include <vector>

#include "causal_graph.h"

namespace cfx::data {

// The causal graph of a chest radiograph's variables, as the project models them: sex and age
// cause the heart's and each lung's area; the heart's area also causes the left lung's (the heart
// sits in the left hemithorax). Its ranges are fitted to `values` (per variable, the known values
// of a data set): the data's range widened by `margin` of its span on each side, never below 0.
// A variable no value of which is known is left out (with the edges to it), since nothing could
// teach it.
CausalGraph chestRadiographGraph(const std::map<std::string, std::vector<double>>& values,
                                 double margin, const std::string& source);

// Mask labels of the chest graph's structures, by area variable.
const std::map<std::string, int>& chestStructureLabels();

}  // namespace cfx::data
