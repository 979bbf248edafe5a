#pragma once

#include <string>
#include <vector>

namespace cfx::cli {

// `cfx compare REPORT_DIR ...`: one table of the headline metrics across evaluated models.
int runCompareCommand(const std::vector<std::string>& arguments);

}  // namespace cfx::cli
