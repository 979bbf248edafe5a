#include "phantom_gallery.h"

#include <cstdio>

#include "difference_map.h"
#include "manifest.h"
#include "overlay.h"
#include "phantom_subject.h"
#include "png_io.h"
#include "radiograph_reader.h"
#include "validation_error.h"

namespace cfx::data {
namespace {

std::string describe(const phantom::Attributes& a) {
  char text[96];
  std::snprintf(text, sizeof text, "%s %.0fy H%.1f R%.1f L%.1f", a.sex > 0.5 ? "M" : "F", a.age,
                a.heartArea, a.rightLungArea, a.leftLungArea);
  return text;
}

}  // namespace

RgbImage phantomGallery(const PhantomDataset& data, int subjects, const std::string& subjectId,
                        double change) {
  const data::Manifest manifest = data::readManifest(data.dir + "/manifest.csv", data.graph);
  const phantom::PhantomScm scm(data.coefficients);
  const auto styles = report::defaultStructureStyles();
  const int columns = 5, zoom = std::max(1, 256 / data.size);
  const std::array<std::uint8_t, 3> background{24, 24, 24};

  std::vector<RgbImage> rows, tiles;
  for (int i = 0; i < subjects && i < int(manifest.rows.size()); ++i) {
    const data::ManifestRow& row = manifest.rows[size_t(i)];
    RgbImage tile = report::contourOverlay(io::readRadiograph(row.image).image,
                                           io::readLabelPng(row.mask), zoom, styles);
    phantom::Attributes a;
    for (const auto& [name, value] : row.attributes) a.set(name, value);
    report::caption(tile, describe(a));
    tiles.push_back(std::move(tile));
    if (int(tiles.size()) == columns)
      rows.push_back(report::row(tiles, 4, background)), tiles.clear();
  }
  if (!tiles.empty()) rows.push_back(report::row(tiles, 4, background));

  const auto found = data.noise.find(subjectId);
  if (found == data.noise.end())
    throw ValidationError(data.dir, "subject", "no subject '" + subjectId + "'");
  const auto factual = phantom::renderSubject(scm, found->second, data.size);
  const double observed = factual.attributes.leftLungArea;
  const auto smaller = phantom::renderSubject(scm, found->second, data.size,
                                              {{"left_lung_area", observed * (1 - change)}});
  const auto larger = phantom::renderSubject(scm, found->second, data.size,
                                             {{"left_lung_area", observed * (1 + change)}});
  const double range = std::max(report::differenceRange(factual.image, smaller.image),
                                report::differenceRange(factual.image, larger.image));
  const int rowZoom = zoom;
  const int percent = int(std::lround(change * 100));
  std::vector<RgbImage> cf;
  for (const auto* s : {&smaller, &factual, &larger}) {
    RgbImage tile = report::contourOverlay(s->image, s->labels, rowZoom, styles);
    const int delta = s == &factual ? 0 : (s == &smaller ? -percent : percent);
    report::caption(tile, "do(L" + std::string(delta > 0 ? "+" : "") + std::to_string(delta) +
                              "%) L" + std::to_string(s->attributes.leftLungArea).substr(0, 4));
    cf.push_back(std::move(tile));
  }
  // Differences are per pixel: the maps are enlarged by replication, not interpolation.
  const GrayImage base = report::upscaleNearest(factual.image, rowZoom);
  for (const auto* s : {&smaller, &larger}) {
    RgbImage map =
        report::differenceMap(base, report::upscaleNearest(s->image, rowZoom), range, s == &larger);
    report::caption(
        map, std::string("diff ") + (s == &smaller ? "-" : "+") + std::to_string(percent) + "%");
    cf.push_back(std::move(map));
  }
  rows.push_back(report::row(cf, 4, background));
  return report::column(rows, 6, background);
}

}  // namespace cfx::data
