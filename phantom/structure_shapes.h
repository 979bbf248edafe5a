#pragma once

#include "frame.h"

namespace cfx::phantom {

// A lung field in the template frame, grown about its apex (the anchor) by one size parameter:
// the diaphragm descends faster than the lateral wall moves out, as in deeper inspiration. Every
// point inside at one size is inside at any larger size, so area grows monotonically with size.
struct LungShape {
  Point anchor;                // apex at the medial border
  double side = -1.0;          // -1: grows to the image's left (patient's right lung), +1: right
  double height = 0.58;        // apex to costophrenic angle at size 1
  double width = 0.6;          // lateral extent relative to height
  double domeDepth = 0.16;     // how far the diaphragm dome rises above the costophrenic angle
  double hilumBulge = 0.05;    // the medial border's curve around the hilum
  double lateralGrowth = 0.3;  // size exponent of the width; the height takes the rest

  bool contains(Point p, double size) const;
};

// The cardiac silhouette: an ellipse hanging from the base of the heart (the anchor), tilted
// towards the patient's left, cut medially where the right lung's medial border is, so the heart
// never covers the right lung.
struct HeartShape {
  Point anchor;
  double centerX = 0.09, centerY = 0.15;  // ellipse centre relative to the anchor at size 1
  double radiusX = 0.17, radiusY = 0.14;
  double tilt = -0.45;         // radians
  double medialLimitX = 0.45;  // template x left of which no heart is drawn

  bool contains(Point p, double size) const;
};

}  // namespace cfx::phantom
