#pragma once

#include <cstdint>
#include <vector>

#include "frame.h"
#include "structure_shapes.h"

namespace cfx::phantom {

struct VesselSegment {
  Point from, to;  // template frame
  double radius = 0.0;
  double density = 0.0;
};

struct Rib {
  double originY = 0.0;  // template y where the posterior rib leaves the spine
  double side = -1.0;
  double halfThickness = 0.01;
};

// Everything about one subject's body and acquisition that does not depend on the structure
// areas. It is a function of (image seed, sex, age) only, so an intervention on an area changes
// nothing here: that is what makes the phantom's true counterfactuals local.
struct Anatomy {
  Frame frame;
  double midlineX = 0.5;
  double apexY = 0.12;
  double thoraxHalfWidth = 0.41;
  double mediastinumHalfWidth = 0.055;
  double spineHalfWidth = 0.03;
  double vertebraPeriod = 0.05;

  LungShape rightLung, leftLung;
  HeartShape heart;
  std::vector<Rib> ribs;
  std::vector<VesselSegment> vessels;

  double boneContrast = 1.0;  // falls with age
  double aorticKnobRadius = 0.03;
  bool female = false;
  double breastY = 0.7, breastRadiusX = 0.16, breastRadiusY = 0.11, breastDensity = 0.2;

  // Acquisition.
  double attenuation = 1.4;
  double gamma = 1.0;
  double noiseStd = 0.012;
  double blurSigma = 0.006;     // soft boundary of the structures, in image widths
  int markerSide = 0;           // 0 none, -1 image left, +1 image right
  std::uint64_t noiseSeed = 0;  // the quantum noise field
  std::uint64_t textureSeed = 0;
};

// Draws a subject's anatomy. The random stream is consumed in the same order whatever the sex,
// so changing sex changes only the sex-dependent features, not the rest of the anatomy.
Anatomy makeAnatomy(std::uint64_t imageSeed, double sex, double age);

}  // namespace cfx::phantom
