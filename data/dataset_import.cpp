#include "dataset_import.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <random>
#include <set>

#include "atomic_file.h"
#include "chest_graph.h"
#include "histogram_chart.h"
#include "image_resize.h"
#include "io_error.h"
#include "manifest.h"
#include "overlay.h"
#include "png_io.h"
#include "staged_output.h"
#include "text_format.h"
#include "validation_error.h"

namespace cfx::data {
namespace fs = std::filesystem;
namespace {

constexpr int kGalleryCases = 8;
constexpr int kHistogramBins = 24;
// Structures are painted in this order, so where two masks overlap (the heart over the medial
// lung fields in some sets) the later one owns the pixel.
const char* const kPaintOrder[] = {"right_lung_area", "left_lung_area", "heart_area"};

// A file name from an id: letters, digits, '.', '-' and '_' kept, anything else '_'.
std::string fileStem(const std::string& id) {
  std::string stem = id;
  for (char& c : stem)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  return stem;
}

// Mean column of each structure's pixels in a painted label map, NaN where it has none (no mask,
// or one the later structures painted over): every comparison with NaN is false, so a check
// needing an absent structure passes.
struct StructureCentres {
  double rightLung, leftLung, heart;
};

StructureCentres centresOf(const LabelMap& labels) {
  const auto& labelOf = chestStructureLabels();
  const int structure[3] = {labelOf.at("right_lung_area"), labelOf.at("left_lung_area"),
                            labelOf.at("heart_area")};
  double sum[3] = {0, 0, 0};
  long count[3] = {0, 0, 0};
  for (int y = 0; y < labels.height; ++y)
    for (int x = 0; x < labels.width; ++x)
      for (int k = 0; k < 3; ++k)
        if (labels.at(x, y) == structure[k]) sum[k] += x, ++count[k];
  const auto mean = [&](int k) { return count[k] ? sum[k] / double(count[k]) : std::nan(""); };
  return {mean(0), mean(1), mean(2)};
}

// The heart sits between the lungs, nearer the midline than the left lung in either orientation
// of the film; a heart mask farther out than the left lung's is a mislabelled pair (seen in a
// public set, where it would teach the segmentor to call the heart "left lung").
bool heartLiesLateralToTheLeftLung(const StructureCentres& c) {
  const double midline = (c.rightLung + c.leftLung) / 2;
  return std::abs(c.heart - midline) > std::abs(c.leftLung - midline);
}

struct Written {
  size_t caseIndex = 0;  // in the layout's scan
  std::string id, image, mask;
  std::map<std::string, double> attributes;
};

}  // namespace

ImportSummary writeImportedDataset(const LayoutScan& scan, const ImportOptions& options,
                                   WorkMonitor& monitor) {
  if (options.size < 16 || options.size > 1024)
    throw ValidationError("cfx data import", "--size", "expected 16 to 1024 pixels");
  if (!(options.valFraction > 0 && options.valFraction < 1) ||
      !(options.testFraction >= 0 && options.valFraction + options.testFraction < 1))
    throw ValidationError("cfx data import", "--val-fraction",
                          "expected 0 < val fraction, 0 <= test fraction, and their sum < 1");
  if (fs::exists(fs::path(options.outDir) / "manifest.csv"))
    throw ValidationError(options.outDir, "manifest.csv",
                          "a data set is already there; import into a new folder");
  io::StagedOutput staged(options.outDir);
  const fs::path imageDir = staged.stagingPath("images"), maskDir = staged.stagingPath("masks");
  fs::create_directories(imageDir);
  fs::create_directories(maskDir);
  const auto& labelOf = chestStructureLabels();

  ImportSummary summary;
  summary.skipped = scan.skipped;
  std::vector<Written> written;
  std::vector<RgbImage> gallery;
  std::vector<std::string> swapped;
  std::set<std::string> stems;
  bool anyMask = false;
  monitor.begin("import", long(scan.cases.size()));
  for (size_t i = 0; i < scan.cases.size(); ++i) {
    monitor.throwIfCancelled();
    monitor.update(long(i + 1));
    const CaseSource& source = scan.cases[i];
    ImportedCase c;
    try {
      c = source.load();
      if (c.image.empty()) throw io::IoError(source.origin, "image", "empty image");
      for (const auto& [name, mask] : c.masks) {
        if (!labelOf.count(name))
          throw io::IoError(source.origin, "mask", "no structure called '" + name + "'");
        if (std::none_of(mask.pixels.begin(), mask.pixels.end(), [](auto v) { return v != 0; }))
          throw io::IoError(source.origin, name, "the mask is empty");
      }
    } catch (const Interrupted&) {
      throw;
    } catch (const std::exception& e) {
      summary.skipped.emplace_back(source.origin, e.what());
      continue;
    }
    std::string stem = fileStem(source.id);
    for (int n = 2; !stems.insert(stem).second; ++n)
      stem = fileStem(source.id) + "_" + std::to_string(n);

    LabelMap labels(options.size, options.size, 0);
    for (const char* name : kPaintOrder) {
      const auto mask = c.masks.find(name);
      if (mask == c.masks.end()) continue;
      const LabelMap small = io::resizeLabels(mask->second, options.size, options.size);
      for (size_t p = 0; p < small.pixels.size(); ++p)
        if (small.pixels[p]) labels.pixels[p] = std::uint8_t(labelOf.at(name));
    }
    const StructureCentres centres = centresOf(labels);
    if (heartLiesLateralToTheLeftLung(centres)) {
      summary.skipped.emplace_back(source.origin,
                                   "the heart mask lies farther from the midline than the left "
                                   "lung's (heart and left lung masks swapped?)");
      continue;
    }

    Written row;
    row.caseIndex = i;
    row.id = source.id;
    row.attributes = c.attributes;
    const GrayImage image = io::resizeImage(c.image, options.size, options.size);
    row.image = (imageDir / (stem + ".png")).string();
    io::writeGrayPng(row.image, image, c.sourceBitDepth > 8 ? 16 : 8);
    if (!c.masks.empty()) {
      for (const auto& [name, mask] : c.masks) {
        const long count =
            std::count(labels.pixels.begin(), labels.pixels.end(), std::uint8_t(labelOf.at(name)));
        row.attributes[name] = 100.0 * double(count) / double(labels.pixels.size());
      }
      if (centres.rightLung > centres.leftLung) {
        ++summary.sidesSwapped;
        swapped.push_back(source.origin);
      }
      row.mask = (maskDir / (stem + ".png")).string();
      io::writeLabelPng(row.mask, labels);
      anyMask = true;
      if (int(gallery.size()) < kGalleryCases) {
        RgbImage tile = report::contourOverlay(image, labels, std::max(1, 160 / options.size),
                                               report::defaultStructureStyles());
        // Long ids (DICOM UIDs) differ at their end.
        const std::string& id = source.id;
        report::caption(tile, id.size() > 22 ? ".." + id.substr(id.size() - 20) : id);
        gallery.push_back(std::move(tile));
      }
    }
    written.push_back(std::move(row));
  }
  monitor.finish();
  if (written.empty())
    throw ValidationError(
        options.outDir, "import",
        "no case could be imported (" + std::to_string(summary.skipped.size()) + " skipped" +
            (summary.skipped.empty() ? ")"
                                     : "; the first: " + summary.skipped.front().first + ": " +
                                           summary.skipped.front().second + ")"));
  summary.imported = long(written.size());

  // A fixed, seeded split: the same source and seed give the same validation images. It is drawn
  // over every case the layout found, so a case skipped for its content leaves the others' splits
  // as they were.
  std::vector<size_t> order(scan.cases.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 random(options.seed);
  std::shuffle(order.begin(), order.end(), random);
  const size_t validation =
      std::max<size_t>(1, size_t(std::lround(options.valFraction * double(order.size()))));
  const size_t test = size_t(std::lround(options.testFraction * double(order.size())));
  std::vector<std::string> caseSplit(scan.cases.size(), "train");
  for (size_t k = 0; k < order.size(); ++k)
    caseSplit[order[k]] = k < validation ? "val" : (k < validation + test ? "test" : "train");
  std::vector<std::string> splitOf;
  for (const auto& row : written) splitOf.push_back(caseSplit[row.caseIndex]);
  for (const char* needed : {"train", "val"})
    if (std::find(splitOf.begin(), splitOf.end(), needed) == splitOf.end())
      throw ValidationError(options.outDir, "split",
                            std::to_string(written.size()) + " imported cases leave the " + needed +
                                " split empty; too few for training and validation");

  std::map<std::string, std::vector<double>> values;
  for (const auto& row : written)
    for (const auto& [name, value] : row.attributes) values[name].push_back(value);
  const std::string graphPath = staged.stagingPath("graph.json");
  const CausalGraph graph = chestRadiographGraph(values, options.rangeMargin, graphPath);
  const std::string graphText = graph.toJson().dump(2) + "\n";
  io::writeFileAtomically(graphPath,
                          std::vector<unsigned char>(graphText.begin(), graphText.end()));

  std::vector<ManifestRow> rows;
  for (size_t r = 0; r < written.size(); ++r) {
    ManifestRow row;
    row.id = written[r].id;
    row.image = written[r].image;
    row.mask = written[r].mask;
    row.split = splitOf[r];
    for (const auto& v : graph.variables())
      if (written[r].attributes.count(v.name))
        row.attributes[v.name] = written[r].attributes.at(v.name);
    rows.push_back(std::move(row));
    ++summary.splits[splitOf[r]];
  }
  writeManifest(staged.stagingPath("manifest.csv"), rows, graph);

  // The report: what came in, what did not and why, and how the values are distributed.
  std::string& text = summary.reportText;
  text = formatText("import of layout '%s' at %d px (seed %llu)\n", options.layout.c_str(),
                    options.size, static_cast<unsigned long long>(options.seed));
  if (!options.command.empty()) text += "command: " + options.command + "\n";
  text +=
      formatText("imported %ld, skipped %zu; splits:", summary.imported, summary.skipped.size());
  for (const auto& [name, count] : summary.splits)
    text += formatText(" %s %ld", name.c_str(), count);
  text += formatText("\n%-18s %8s %10s %10s %10s\n", "variable", "known", "mean", "min", "max");
  std::vector<RgbImage> charts;
  for (const auto& v : graph.variables()) {
    const auto& known = values[v.name];
    summary.known[v.name] = long(known.size());
    const double mean = std::accumulate(known.begin(), known.end(), 0.0) / double(known.size());
    summary.mean[v.name] = mean;
    text += formatText("%-18s %8zu %10.3f %10.3f %10.3f\n", v.name.c_str(), known.size(), mean,
                       *std::min_element(known.begin(), known.end()),
                       *std::max_element(known.begin(), known.end()));
    charts.push_back(report::histogramChart(v.name + (v.unit.empty() ? "" : " (" + v.unit + ")"),
                                            known, kHistogramBins, v.categories));
  }
  for (const char* name : {"sex", "age", "heart_area", "right_lung_area", "left_lung_area"})
    if (!graph.indexOf(name))
      text += formatText("%-18s no image of this data set knows it: left out of the graph\n", name);
  text +=
      formatText("right lung to the right of the left lung in the image (sides swapped?): %ld\n",
                 summary.sidesSwapped);
  for (const auto& origin : swapped) text += "  " + origin + "\n";
  if (!anyMask) text += "no case has a mask\n";
  text += formatText("skipped (%zu):\n", summary.skipped.size());
  for (const auto& [origin, reason] : summary.skipped) text += "  " + origin + ": " + reason + "\n";
  io::writeFileAtomically(staged.stagingPath("import_report.txt"),
                          std::vector<unsigned char>(text.begin(), text.end()));
  const std::array<std::uint8_t, 3> background{16, 16, 16};
  std::vector<RgbImage> figure = {report::row(charts, 6, background)};
  if (!gallery.empty()) figure.push_back(report::row(gallery, 6, background));
  io::writeRgbPng(staged.stagingPath("import_report.png"), report::column(figure, 6, background));
  staged.commit();
  return summary;
}

}  // namespace cfx::data
