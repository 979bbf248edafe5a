#include "structure_masks.h"

#include <cmath>
#include <string>

#include "validation_error.h"

namespace cfx::phantom {
namespace {

constexpr double kSmallestSize = 0.05, kLargestSize = 4.0;
constexpr int kBisectionSteps = 24;  // relative size precision ~1e-7: well below one pixel

template <typename Inside>
long countInside(const std::vector<int>& candidates, const Inside& inside, double size) {
  long n = 0;
  for (int i : candidates) n += inside(i, size) ? 1 : 0;
  return n;
}

// The size whose mask pixel count is nearest to `target`; counts grow with size.
template <typename Inside>
double solveSize(const std::vector<int>& candidates, const Inside& inside, long target,
                 const char* name, double area) {
  double lo = kSmallestSize, hi = kLargestSize;
  if (countInside(candidates, inside, hi) < target || countInside(candidates, inside, lo) > target)
    throw ValidationError(
        "phantom renderer", name,
        "an area of " + std::to_string(area) + " % is beyond what this subject's anatomy can show");
  for (int step = 0; step < kBisectionSteps; ++step) {
    const double mid = 0.5 * (lo + hi);
    (countInside(candidates, inside, mid) < target ? lo : hi) = mid;
  }
  const long below = countInside(candidates, inside, lo),
             above = countInside(candidates, inside, hi);
  return std::abs(below - target) < std::abs(above - target) ? lo : hi;
}

long targetCount(double areaPercent, int size) {
  return std::lround(areaPercent / 100.0 * double(size) * double(size));
}

}  // namespace

std::vector<Point> pixelCentresInTemplate(const Frame& frame, int size) {
  std::vector<Point> centres(size_t(size) * size_t(size));
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x)
      centres[size_t(y) * size + x] = frame.toTemplate({(x + 0.5) / size, (y + 0.5) / size});
  return centres;
}

StructureMasks solveStructureMasks(const Anatomy& anatomy, const Attributes& attributes,
                                   const std::vector<Point>& pixelCentres, int size) {
  StructureMasks result;
  result.labels = LabelMap(size, size, kBackground);
  std::vector<int> heartSide, rightSide, leftSide;
  for (int i = 0; i < int(pixelCentres.size()); ++i) {
    const Point& p = pixelCentres[i];
    if (p.y < anatomy.apexY - 0.05) continue;
    (p.x < anatomy.rightLung.anchor.x ? rightSide : leftSide).push_back(i);
    if (p.x >= anatomy.heart.medialLimitX) heartSide.push_back(i);
  }

  const auto heart = [&](int i, double s) { return anatomy.heart.contains(pixelCentres[i], s); };
  result.heartSize = solveSize(heartSide, heart, targetCount(attributes.heartArea, size),
                               "heart_area", attributes.heartArea);
  std::vector<char> isHeart(pixelCentres.size(), 0);
  for (int i : heartSide) isHeart[i] = heart(i, result.heartSize);

  const auto right = [&](int i, double s) {
    return !isHeart[i] && anatomy.rightLung.contains(pixelCentres[i], s);
  };
  const auto left = [&](int i, double s) {
    return !isHeart[i] && anatomy.leftLung.contains(pixelCentres[i], s);
  };
  result.rightLungSize = solveSize(rightSide, right, targetCount(attributes.rightLungArea, size),
                                   "right_lung_area", attributes.rightLungArea);
  result.leftLungSize = solveSize(leftSide, left, targetCount(attributes.leftLungArea, size),
                                  "left_lung_area", attributes.leftLungArea);

  auto& labels = result.labels.pixels;
  for (int i : heartSide)
    if (isHeart[i]) labels[i] = kHeart;
  for (int i : rightSide)
    if (right(i, result.rightLungSize)) labels[i] = kRightLung;
  for (int i : leftSide)
    if (left(i, result.leftLungSize)) labels[i] = kLeftLung;
  return result;
}

double labelArea(const LabelMap& labels, std::uint8_t label) {
  long n = 0;
  for (auto v : labels.pixels) n += v == label ? 1 : 0;
  return labels.pixels.empty() ? 0.0 : 100.0 * double(n) / double(labels.pixels.size());
}

}  // namespace cfx::phantom
