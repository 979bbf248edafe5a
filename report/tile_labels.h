#pragma once

#include <string>

namespace cfx::report {

// A variable's name short enough to label a 256-pixel figure tile ("R lung" for
// right_lung_area); names without a short form are returned as they are.
std::string tileLabel(const std::string& variableName);

}  // namespace cfx::report
