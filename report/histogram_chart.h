#pragma once

#include <string>
#include <vector>

#include "image_buffer.h"

namespace cfx::report {

// A histogram of `values` as a small chart: `bins` bars between the smallest and largest value,
// the title with the count and the range on the axis. Categories (e.g. sex) are drawn by giving
// their names: one bar per name, `values` holding the index.
RgbImage histogramChart(const std::string& title, const std::vector<double>& values, int bins,
                        const std::vector<std::string>& categories = {});

}  // namespace cfx::report
