#pragma once

#include <string>
#include <utility>
#include <vector>

#include "work_monitor.h"

namespace cfx::data {

// How far each structure variable of a data set (a graph variable with a mask_label) is from its
// mask's area, relative to the value.
struct StructureAreaCheck {
  std::string variable;
  long labelledRows = 0;  // rows whose mask labels this structure
  double meanRelativeError = 0.0;
  double worstRelativeError = 0.0;
  std::string worstId;
};

struct DatasetCheck {
  size_t rows = 0;
  long rowsWithMasks = 0;
  std::vector<StructureAreaCheck> structures;       // empty when no row has a mask
  std::vector<std::pair<std::string, long>> known;  // rows with a value, per graph variable
};

// Reads every image and mask of a data set (manifest.csv, and graphPath or DIR/graph.json);
// a mask of another size than its image is a ValidationError naming the manifest line.
DatasetCheck checkDataset(const std::string& dir, const std::string& graphPath,
                          WorkMonitor& monitor);

}  // namespace cfx::data
