#include "lung_mask_split.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace cfx::data {
namespace {

struct Region {
  std::vector<int> pixels;  // indices into the mask
  double centreX = 0;
};

std::vector<Region> connectedRegions(const LabelMap& mask) {
  std::vector<int> seen(mask.pixels.size(), 0);
  std::vector<Region> regions;
  std::vector<int> stack;
  for (int start = 0; start < int(mask.pixels.size()); ++start) {
    if (!mask.pixels[size_t(start)] || seen[size_t(start)]) continue;
    Region region;
    seen[size_t(start)] = 1;
    stack.push_back(start);
    while (!stack.empty()) {
      const int p = stack.back();
      stack.pop_back();
      region.pixels.push_back(p);
      const int x = p % mask.width, y = p / mask.width;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int nx = x + dx, ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= mask.width || ny >= mask.height) continue;
          const int q = ny * mask.width + nx;
          if (mask.pixels[size_t(q)] && !seen[size_t(q)]) seen[size_t(q)] = 1, stack.push_back(q);
        }
    }
    double sum = 0;
    for (int p : region.pixels) sum += p % mask.width;
    region.centreX = sum / double(region.pixels.size());
    regions.push_back(std::move(region));
  }
  std::sort(regions.begin(), regions.end(),
            [](const Region& a, const Region& b) { return a.pixels.size() > b.pixels.size(); });
  return regions;
}

}  // namespace

std::pair<LabelMap, LabelMap> splitLungMask(const LabelMap& both, double speckFraction) {
  const auto regions = connectedRegions(both);
  const auto isSpeck = [&](const Region& r) {
    return double(r.pixels.size()) < speckFraction * double(regions.front().pixels.size());
  };
  if (regions.size() < 2 || isSpeck(regions[1]))
    throw std::invalid_argument(
        "the lung mask has " + std::string(regions.empty() ? "no region" : "one region") +
        " (not counting specks); expected the two lungs as separate regions");
  const bool firstIsRight = regions[0].centreX < regions[1].centreX;
  const double rightX = regions[firstIsRight ? 0 : 1].centreX,
               leftX = regions[firstIsRight ? 1 : 0].centreX;
  LabelMap right(both.width, both.height, 0), left(both.width, both.height, 0);
  for (size_t i = 0; i < regions.size(); ++i) {
    if (i >= 2 && isSpeck(regions[i])) continue;
    const bool toRight =
        i < 2 ? (i == 0) == firstIsRight
              : std::abs(regions[i].centreX - rightX) < std::abs(regions[i].centreX - leftX);
    for (int p : regions[i].pixels) (toRight ? right : left).pixels[size_t(p)] = 1;
  }
  return {right, left};
}

}  // namespace cfx::data
