#include "radiograph_renderer.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "random_stream.h"
#include "structure_masks.h"

namespace cfx::phantom {
namespace {

// Projected density of the body's tissues, in units where the mid-chest soft tissue is about 1.
// Grey level then follows the exponential attenuation of the beam.
constexpr double kLungAir = 0.78;
constexpr double kHeartDensity = 0.06;

double smoothstep(double edge0, double edge1, double x) {
  const double t = std::clamp((x - edge0) / (edge1 - edge0), 0.0, 1.0);
  return t * t * (3.0 - 2.0 * t);
}

// Projection of a solid cylinder of half-width w at distance r from its axis.
double tube(double r, double w) {
  return r >= w ? 0.0 : std::sqrt(1.0 - (r / w) * (r / w));
}

// Bone: a dense cortex around a lighter marrow, so edges are brighter than centres.
double corticalTube(double r, double w) {
  return tube(r, w) - 0.65 * tube(r, 0.8 * w);
}

double bodyThickness(const Anatomy& a, Point q) {
  const double d = std::abs(q.x - a.midlineX);
  // Shoulders slope down from the neck; the arms widen the silhouette at the top.
  const double shoulderTop = d < 0.09 ? -1.0 : a.apexY - 0.1 + 0.22 * (d - 0.09);
  const double halfWidth =
      a.thoraxHalfWidth + 0.06 + 0.1 * smoothstep(a.apexY + 0.12, a.apexY - 0.02, q.y);
  const double across =
      d < halfWidth ? std::pow(1.0 - (d / halfWidth) * (d / halfWidth), 0.5) : 0.0;
  return across * smoothstep(shoulderTop - 0.01, shoulderTop + 0.02, q.y);
}

double ribCageHalfWidth(const Anatomy& a, double y) {
  const double t = std::clamp((y - (a.apexY - 0.07)) / 0.22, 0.0, 1.0);
  return a.thoraxHalfWidth * std::sqrt(t);
}

double ribs(const Anatomy& a, Point q) {
  const double d = std::abs(q.x - a.midlineX);
  const double side = q.x < a.midlineX ? -1.0 : 1.0;
  const double cage = ribCageHalfWidth(a, q.y);
  if (d > cage + 0.01) return 0.0;
  double total = 0.0;
  for (const Rib& rib : a.ribs) {
    if (rib.side != side) continue;
    // Posterior rib: rises briefly from the spine, then arches down laterally.
    const double e = d - 0.8 * a.spineHalfWidth;
    if (e > 0.0) {
      const double yc = rib.originY - 0.1 * e + 1.0 * e * e;
      const double slope = -0.1 + 2.0 * e;
      const double r = std::abs(q.y - yc) / std::sqrt(1.0 + slope * slope);
      total += 0.36 * corticalTube(r, rib.halfThickness) * smoothstep(0.0, 0.02, e);
    }
    // Anterior rib: from the lateral wall down towards the sternum, fading where the costal
    // cartilage (invisible on a radiograph) begins.
    const double lateral = 0.97 * a.thoraxHalfWidth, eLat = lateral - 0.8 * a.spineHalfWidth;
    const double yLat = rib.originY - 0.1 * eLat + 1.0 * eLat * eLat;
    const double ya = yLat - 0.02 + 0.3 * (lateral - d);
    const double ra = std::abs(q.y - ya) / std::sqrt(1.0 + 0.3 * 0.3);
    total += 0.2 * corticalTube(ra, 1.25 * rib.halfThickness) * smoothstep(0.11, 0.2, d);
  }
  return total * smoothstep(cage + 0.01, cage - 0.015, d);
}

double clavicles(const Anatomy& a, Point q) {
  const double d = std::abs(q.x - a.midlineX);
  const double t = (d - 0.035) / 0.31;
  if (t < -0.05 || t > 1.05) return 0.0;
  const double yc = a.apexY + 0.035 - 0.08 * t + 0.018 * std::sin(6.2832 * t);
  const double w = 0.013 * (1.0 + 0.35 * (1.0 - t));
  return 0.45 * corticalTube(std::abs(q.y - yc), w) * smoothstep(-0.05, 0.05, t) *
         smoothstep(1.05, 0.95, t);
}

double spine(const Anatomy& a, Point q) {
  const double d = std::abs(q.x - a.midlineX);
  if (d > a.spineHalfWidth * 1.2) return 0.0;
  const double phase = (q.y - a.apexY) / a.vertebraPeriod;
  const double f = phase - std::floor(phase);
  const double body = 0.5 + 0.5 * smoothstep(0.0, 0.12, f) * smoothstep(0.86, 0.74, f);
  double density = 0.12 * tube(d, a.spineHalfWidth) * body;
  // Pedicles: small rings either side, one pair per vertebra.
  const double py = (f - 0.35) * a.vertebraPeriod, px = d - 0.7 * a.spineHalfWidth;
  density += 0.06 * corticalTube(std::sqrt(px * px + py * py * 0.6), 0.008);
  return density;
}

double humeri(const Anatomy& a, Point q) {
  double total = 0.0;
  for (double side : {-1.0, 1.0}) {
    const Point c{a.midlineX + side * (a.thoraxHalfWidth + 0.09), a.apexY + 0.01};
    const double r = std::hypot(q.x - c.x, q.y - c.y);
    total += 0.3 * corticalTube(r, 0.07);
  }
  return total;
}

double mediastinumDetail(const Anatomy& a, Point q) {
  // Aortic knob and descending aorta: a mild density left of the spine.
  const Point knob{a.midlineX + 0.045, a.apexY + 0.19};
  double density = 0.2 * tube(std::hypot(q.x - knob.x, q.y - knob.y), a.aorticKnobRadius);
  if (q.y > knob.y)
    density += 0.06 * tube(std::abs(q.x - (a.midlineX + 0.035)), 0.02) * smoothstep(0.85, 0.6, q.y);
  // Hila: the pulmonary arteries and bronchi where they enter the lungs.
  for (double side : {-1.0, 1.0}) {
    const double hx = (q.x - (a.midlineX + side * (a.mediastinumHalfWidth + 0.03))) / 0.03;
    const double hy = (q.y - (a.apexY + 0.3)) / 0.06;
    density += 0.14 * tube(std::sqrt(hx * hx + hy * hy), 1.0);
  }
  // Trachea: an air column down to the carina.
  const double carina = a.apexY + 0.2;
  density -= 0.22 * tube(std::abs(q.x - a.midlineX - 0.004), 0.017) *
             smoothstep(carina + 0.02, carina - 0.03, q.y);
  return density;
}

double breasts(const Anatomy& a, Point q) {
  if (!a.female) return 0.0;
  double total = 0.0;
  for (double side : {-1.0, 1.0}) {
    const double cx = a.midlineX + side * 0.26;
    const double u = (q.x - cx) / a.breastRadiusX, v = (q.y - a.breastY) / a.breastRadiusY;
    const double r = std::sqrt(u * u + v * v);
    // The lower contour is sharp, the upper part fades into the chest wall.
    total += a.breastDensity * smoothstep(1.05, 0.9, r) * smoothstep(-1.3, 0.2, v);
  }
  return total;
}

// Smooth value noise on a lattice in the template frame: the parenchymal texture of the lungs.
double valueNoise(std::uint64_t seed, Point q, double cell) {
  const double gx = q.x / cell, gy = q.y / cell;
  const long x0 = long(std::floor(gx)), y0 = long(std::floor(gy));
  const double fx = gx - x0, fy = gy - y0;
  auto lattice = [&](long x, long y) {
    RandomStream h(seed ^ (std::uint64_t(x + 4096) * 0x9E3779B1ull) ^
                   (std::uint64_t(y + 4096) * 0x85EBCA77ull << 20));
    return h.uniform() * 2.0 - 1.0;
  };
  const double sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy);
  const double top = lattice(x0, y0) + sx * (lattice(x0 + 1, y0) - lattice(x0, y0));
  const double bottom = lattice(x0, y0 + 1) + sx * (lattice(x0 + 1, y0 + 1) - lattice(x0, y0 + 1));
  return top + sy * (bottom - top);
}

std::vector<float> rasterizeVessels(const Anatomy& a, int size) {
  std::vector<float> field(size_t(size) * size, 0.0f);
  for (const VesselSegment& s : a.vessels) {
    const Point p0 = a.frame.toImage(s.from), p1 = a.frame.toImage(s.to);
    const double x0 = p0.x * size, y0 = p0.y * size, x1 = p1.x * size, y1 = p1.y * size;
    const double radius = s.radius * a.frame.zoom * size;
    // Thin vessels keep their projected mass when drawn at least a pixel wide.
    const double drawn = std::max(radius, 0.75), density = s.density * radius / drawn;
    const int bx0 = std::max(0, int(std::floor(std::min(x0, x1) - drawn)));
    const int bx1 = std::min(size - 1, int(std::ceil(std::max(x0, x1) + drawn)));
    const int by0 = std::max(0, int(std::floor(std::min(y0, y1) - drawn)));
    const int by1 = std::min(size - 1, int(std::ceil(std::max(y0, y1) + drawn)));
    const double dx = x1 - x0, dy = y1 - y0, len2 = std::max(dx * dx + dy * dy, 1e-12);
    for (int y = by0; y <= by1; ++y)
      for (int x = bx0; x <= bx1; ++x) {
        const double px = x + 0.5 - x0, py = y + 0.5 - y0;
        const double t = std::clamp((px * dx + py * dy) / len2, 0.0, 1.0);
        const double r = std::hypot(px - t * dx, py - t * dy);
        field[size_t(y) * size + x] += float(density * tube(r, drawn));
      }
  }
  return field;
}

std::vector<float> gaussianKernel(double sigma, int radius) {
  std::vector<float> k(2 * radius + 1);
  double sum = 0.0;
  for (int i = -radius; i <= radius; ++i)
    sum += k[i + radius] = float(std::exp(-0.5 * i * i / (sigma * sigma)));
  for (float& v : k) v = float(v / sum);
  return k;
}

// Separable blur with a kernel of finite support; outside the image counts as zero.
std::vector<float> blurMask(const LabelMap& labels, std::uint8_t lo, std::uint8_t hi,
                            const std::vector<float>& k) {
  const int w = labels.width, h = labels.height, r = int(k.size() / 2);
  std::vector<float> rows(size_t(w) * h, 0.0f), out(size_t(w) * h, 0.0f);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      float s = 0.0f;
      for (int i = -r; i <= r; ++i) {
        const int xx = x + i;
        if (xx < 0 || xx >= w) continue;
        const auto v = labels.at(xx, y);
        s += (v >= lo && v <= hi) ? k[i + r] : 0.0f;
      }
      rows[size_t(y) * w + x] = s;
    }
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      float s = 0.0f;
      for (int i = -r; i <= r; ++i) {
        const int yy = y + i;
        if (yy >= 0 && yy < h) s += rows[size_t(yy) * w + x] * k[i + r];
      }
      out[size_t(y) * w + x] = s;
    }
  return out;
}

// 5x7 bitmaps of the side marker letters.
constexpr std::array<const char*, 7> kLetterL = {"10000", "10000", "10000", "10000",
                                                 "10000", "10000", "11111"};
constexpr std::array<const char*, 7> kLetterR = {"11110", "10001", "10001", "11110",
                                                 "10100", "10010", "10001"};

double markerDensity(const Anatomy& a, double x, double y) {
  if (a.markerSide == 0) return 0.0;
  const double cell = 0.009, left = a.markerSide > 0 ? 0.87 : 0.06, top = 0.04;
  const double u = (x - left) / cell, v = (y - top) / cell;
  if (u < -1 || v < -1 || u >= 6 || v >= 8) return 0.0;
  const auto& letter = a.markerSide > 0 ? kLetterL : kLetterR;
  const int col = int(std::floor(u)), row = int(std::floor(v));
  const bool ink = col >= 0 && col < 5 && row >= 0 && row < 7 && letter[row][col] == '1';
  return ink ? 2.5 : 0.3;  // a lead letter on a faint plastic tag
}

}  // namespace

int blurRadiusPixels(const Anatomy& anatomy, int size) {
  return std::max(1, int(std::ceil(3.0 * anatomy.blurSigma * anatomy.frame.zoom * size)));
}

GrayImage renderRadiograph(const Anatomy& a, const LabelMap& labels,
                           const std::vector<Point>& pixelCentres) {
  const int size = labels.width;
  const int radius = blurRadiusPixels(a, size);
  const auto kernel = gaussianKernel(std::max(a.blurSigma * a.frame.zoom * size, 0.3), radius);
  const auto lung = blurMask(labels, kRightLung, kLeftLung, kernel);
  const auto heart = blurMask(labels, kHeart, kHeart, kernel);
  const auto vessels = rasterizeVessels(a, size);

  GrayImage image(size, size);
  RandomStream noise(a.noiseSeed);
  const double black = 1.0 - std::exp(-a.attenuation * 0.08),
               white = 1.0 - std::exp(-a.attenuation * 2.0);
  for (int i = 0; i < size * size; ++i) {
    const Point q = pixelCentres[i];
    const double body = bodyThickness(a, q);
    const double bone =
        a.boneContrast * (ribs(a, q) + clavicles(a, q) + spine(a, q) + humeri(a, q));
    const double texture =
        0.05 * valueNoise(a.textureSeed, q, 0.04) + 0.02 * valueNoise(a.textureSeed + 1, q, 0.02);
    // Air in the lung displaces tissue in proportion to the chest's depth there.
    const double lungTerm = lung[i] * (-kLungAir * (0.35 + 0.65 * body) + vessels[i] + texture);
    double density =
        body + bone + mediastinumDetail(a, q) + breasts(a, q) + kHeartDensity * heart[i] + lungTerm;
    density =
        std::max(density, 0.0) + markerDensity(a, (i % size + 0.5) / size, (i / size + 0.5) / size);
    double value = (1.0 - std::exp(-a.attenuation * density) - black) / (white - black);
    value = std::pow(std::clamp(value, 0.0, 1.0), a.gamma);
    value += a.noiseStd * std::sqrt(std::max(value, 0.02)) * noise.normal();  // quantum noise
    image.pixels[i] = float(std::clamp(value, 0.0, 1.0));
  }
  return image;
}

}  // namespace cfx::phantom
