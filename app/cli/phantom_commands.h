#pragma once

#include <string>
#include <vector>

namespace cfx::cli {

// `cfx phantom ...`: generate a data set, render a true counterfactual, or draw the gallery.
int runPhantomCommand(const std::vector<std::string>& arguments);

}  // namespace cfx::cli
