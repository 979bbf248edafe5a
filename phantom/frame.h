#pragma once

#include <cmath>

namespace cfx::phantom {

struct Point {
  double x = 0.0;
  double y = 0.0;
};

// Maps between the normalised image plane ([0,1]^2, x to the image's right, which is the
// patient's left, y down) and the subject's anatomical template frame. The difference is the
// acquisition's small rotation, shift and magnification, so anatomy is defined once per subject
// and the same at every resolution.
struct Frame {
  double angle = 0.0;  // radians, about the image centre
  double shiftX = 0.0;
  double shiftY = 0.0;
  double zoom = 1.0;

  Point toTemplate(Point image) const {
    const double x = (image.x - 0.5 - shiftX) / zoom, y = (image.y - 0.5 - shiftY) / zoom;
    const double c = std::cos(angle), s = std::sin(angle);
    return {0.5 + c * x + s * y, 0.5 - s * x + c * y};
  }
  Point toImage(Point t) const {
    const double x = t.x - 0.5, y = t.y - 0.5;
    const double c = std::cos(angle), s = std::sin(angle);
    return {0.5 + shiftX + zoom * (c * x - s * y), 0.5 + shiftY + zoom * (s * x + c * y)};
  }
};

}  // namespace cfx::phantom
