#include "anatomy.h"

#include <cmath>

#include "random_stream.h"

namespace cfx::phantom {
namespace {

constexpr double kPi = 3.14159265358979;

void growVessel(RandomStream& rng, Point from, double angle, double length, double radius,
                double density, int depth, std::vector<VesselSegment>& out) {
  // Two slightly bent pieces per branch look less like a ruler drawing than one straight one.
  const double bend = rng.uniform(-0.25, 0.25);
  const Point mid{from.x + 0.5 * length * std::cos(angle), from.y + 0.5 * length * std::sin(angle)};
  const Point end{mid.x + 0.5 * length * std::cos(angle + bend),
                  mid.y + 0.5 * length * std::sin(angle + bend)};
  out.push_back({from, mid, radius, density});
  out.push_back({mid, end, radius * 0.9, density * 0.95});
  if (depth == 0) return;
  const double spread = rng.uniform(0.25, 0.5);
  for (int child = 0; child < 2; ++child) {
    const double a = angle + bend + (child == 0 ? -spread : spread) + rng.uniform(-0.1, 0.1);
    growVessel(rng, end, a, length * rng.uniform(0.62, 0.78), radius * 0.72, density * 0.78,
               depth - 1, out);
  }
}

}  // namespace

Anatomy makeAnatomy(std::uint64_t imageSeed, double sex, double age) {
  RandomStream rng(imageSeed);
  Anatomy a;
  a.female = sex < 0.5;
  a.frame.angle = rng.uniform(-0.04, 0.04);
  a.frame.shiftX = rng.uniform(-0.02, 0.02);
  a.frame.shiftY = rng.uniform(-0.015, 0.015);
  a.frame.zoom = rng.uniform(0.96, 1.03);

  a.midlineX = 0.5;
  a.apexY = rng.uniform(0.10, 0.135);
  a.thoraxHalfWidth = (a.female ? 0.395 : 0.415) + rng.uniform(-0.012, 0.012);
  a.mediastinumHalfWidth = rng.uniform(0.05, 0.06);
  a.spineHalfWidth = rng.uniform(0.027, 0.033);
  a.vertebraPeriod = rng.uniform(0.047, 0.055);

  for (LungShape* lung : {&a.rightLung, &a.leftLung}) {
    const bool right = lung == &a.rightLung;
    lung->side = right ? -1.0 : 1.0;
    lung->anchor = {a.midlineX + lung->side * a.mediastinumHalfWidth,
                    a.apexY + (right ? 0.0 : 0.008)};
    lung->height = 0.58 + rng.uniform(-0.02, 0.02);
    lung->width = 0.62 + rng.uniform(-0.04, 0.04);
    lung->domeDepth = (right ? 0.17 : 0.14) + rng.uniform(-0.03, 0.03);
    lung->hilumBulge = rng.uniform(0.03, 0.07);
    // The heart takes room from the left lung, so it grows outwards more to reach the same areas.
    lung->lateralGrowth = right ? 0.3 : 0.42;
  }

  a.heart.anchor = {a.midlineX - 0.03, a.apexY + 0.31 + rng.uniform(-0.015, 0.015)};
  a.heart.centerX = 0.10 + rng.uniform(-0.01, 0.01);
  a.heart.centerY = 0.15 + rng.uniform(-0.01, 0.01);
  a.heart.radiusX = 0.17 + rng.uniform(-0.01, 0.01);
  a.heart.radiusY = 0.135 + rng.uniform(-0.01, 0.01);
  a.heart.tilt = -0.45 + rng.uniform(-0.1, 0.1);
  // A hair inside the right lung's medial border, so the two masks can never touch.
  a.heart.medialLimitX = a.rightLung.anchor.x + 0.004;

  const double ribStart = a.apexY - 0.03 + rng.uniform(-0.01, 0.01);
  const double ribStep = rng.uniform(0.058, 0.066);
  for (double side : {-1.0, 1.0})
    for (int k = 0; k < 10; ++k)
      a.ribs.push_back(
          {ribStart + k * ribStep + rng.uniform(-0.004, 0.004), side, 0.012 + 0.0006 * k});

  for (double side : {-1.0, 1.0}) {
    const Point hilum{a.midlineX + side * (a.mediastinumHalfWidth + 0.035),
                      a.apexY + 0.30 + rng.uniform(-0.02, 0.02)};
    const int primaries = 9;
    for (int i = 0; i < primaries; ++i) {
      // Fan from towards the apex to towards the costophrenic angle.
      const double t = (i + rng.uniform(0.2, 0.8)) / primaries;
      const double elevation = -1.35 + 2.5 * t;
      const double angle = side > 0 ? elevation : kPi - elevation;
      // Vessels leave the hilum from along its height, not from one point.
      const Point start{hilum.x + side * rng.uniform(0.0, 0.02),
                        hilum.y + rng.uniform(-0.05, 0.05)};
      growVessel(rng, start, angle, rng.uniform(0.08, 0.13), 0.0065, 0.16, 3, a.vessels);
    }
  }

  const double years = age - 20.0;
  a.boneContrast = (1.12 - 0.0045 * years) * rng.uniform(0.92, 1.08);
  a.aorticKnobRadius = 0.026 + 0.00012 * years + rng.uniform(-0.003, 0.003);

  // Drawn for every subject (keeps the stream aligned); used for women only.
  a.breastY = a.apexY + rng.uniform(0.46, 0.52);
  a.breastRadiusX = rng.uniform(0.14, 0.18);
  a.breastRadiusY = rng.uniform(0.09, 0.13);
  a.breastDensity = rng.uniform(0.1, 0.18);

  a.attenuation = rng.uniform(1.3, 1.55);
  a.gamma = rng.uniform(0.85, 1.15);
  a.noiseStd = rng.uniform(0.008, 0.02);
  const double marker = rng.uniform();
  a.markerSide = marker < 0.35 ? 0 : (marker < 0.7 ? 1 : -1);
  a.noiseSeed = rng.nextBits();
  a.textureSeed = rng.nextBits();
  return a;
}

}  // namespace cfx::phantom
