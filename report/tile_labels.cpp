#include "tile_labels.h"

namespace cfx::report {

std::string tileLabel(const std::string& variableName) {
  if (variableName == "heart_area") return "heart";
  if (variableName == "right_lung_area") return "R lung";
  if (variableName == "left_lung_area") return "L lung";
  return variableName;
}

}  // namespace cfx::report
