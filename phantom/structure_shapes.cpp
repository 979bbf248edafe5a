#include "structure_shapes.h"

#include <algorithm>
#include <cmath>

namespace cfx::phantom {

bool LungShape::contains(Point p, double size) const {
  const double sx = std::pow(size, lateralGrowth), sy = std::pow(size, 1.0 - lateralGrowth);
  const double u = side * (p.x - anchor.x) / (sx * height);  // lateral distance, in heights
  const double v = (p.y - anchor.y) / (sy * height);         // depth below the apex, 0..1
  if (v < 0.0 || v > 1.0 || u < 0.0) return false;
  // Rounded apex, widest just above the diaphragm.
  const double lateral = width * std::pow(std::sin(std::min(v / 0.85, 1.0) * 1.5707963), 0.42);
  const double hilum = (v - 0.48) / 0.14;
  const double medial = width * (0.02 + hilumBulge * std::exp(-hilum * hilum));
  if (u > lateral || u < medial) return false;
  // Dome: highest at 42 % of the width, deepest laterally (costophrenic angle).
  const double e = (u / width - 0.42) / 0.62;
  return v <= 1.0 - domeDepth * std::max(0.0, 1.0 - e * e);
}

bool HeartShape::contains(Point p, double size) const {
  if (p.x < medialLimitX || p.y < anchor.y) return false;
  const double lx = (p.x - anchor.x) / size - centerX, ly = (p.y - anchor.y) / size - centerY;
  const double c = std::cos(tilt), s = std::sin(tilt);
  const double a = (c * lx + s * ly) / radiusX, b = (-s * lx + c * ly) / radiusY;
  return a * a + b * b <= 1.0;
}

}  // namespace cfx::phantom
