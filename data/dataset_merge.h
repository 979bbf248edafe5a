#pragma once

#include <string>
#include <vector>

#include "work_monitor.h"

namespace cfx::data {

// Combines data sets written by `cfx data import` (e.g. one with lungs, sex and age, one with
// heart masks) into one: images and label maps are copied into outDir, each id prefixed with its
// source folder's name when ids would clash, splits kept, unknown values kept unknown, and the
// graph's ranges fitted anew to all rows. Returns the new manifest's row count. Files appear all
// together or not at all.
long mergeDatasets(const std::vector<std::string>& sources, const std::string& outDir,
                   double rangeMargin, WorkMonitor& monitor);

}  // namespace cfx::data
