#include "data_commands.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "argument_parser.h"
#include "console_progress.h"
#include "dataset_tensors.h"
#include "interrupt.h"
#include "manifest.h"
#include "png_io.h"
#include "radiograph_reader.h"
#include "validation_error.h"

namespace cfx::cli {
namespace {

int check(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx data check",
      "Check a data set: every image and mask readable and of one size, and every structure\n"
      "variable (a graph variable with a mask_label) equal to its mask's area. Prints the worst\n"
      "relative area error per structure; exits 1 when it exceeds --tolerance.");
  parser.required("data", "DIR", "data set folder (manifest.csv, graph.json)")
      .option("graph", "FILE", "causal graph (default: DIR/graph.json)")
      .option("tolerance", "PERCENT", "largest allowed relative area error", "0.5");
  if (!parser.parse(arguments)) return 0;
  const std::string dir = parser.get("data");
  const CausalGraph graph =
      loadGraphFile(parser.has("graph") ? parser.get("graph") : dir + "/graph.json");
  const io::Manifest manifest = io::readManifest(dir + "/manifest.csv", graph);
  double tolerance = 0.0;
  try {
    tolerance = std::stod(parser.get("tolerance")) / 100.0;
  } catch (const std::exception&) {
    throw UsageError("--tolerance expects a number");
  }

  std::vector<const Variable*> structures;
  for (const auto& v : graph.variables())
    if (v.maskLabel) structures.push_back(&v);
  std::vector<double> worst(structures.size(), 0.0), sum(structures.size(), 0.0);
  std::vector<std::string> worstId(structures.size());
  long masks = 0;
  ConsoleProgress progress(std::cerr, "check", long(manifest.rows.size()), stderrIsTerminal());
  for (size_t r = 0; r < manifest.rows.size(); ++r) {
    if (interruptRequested().load()) throw Interrupted{};
    const io::ManifestRow& row = manifest.rows[r];
    const GrayImage image = io::readRadiograph(row.image).image;
    if (!row.mask.empty()) {
      const LabelMap labels = io::readLabelPng(row.mask);
      if (labels.width != image.width || labels.height != image.height)
        throw ValidationError(manifest.path, "line " + std::to_string(row.line),
                              "mask is " + std::to_string(labels.width) + "x" +
                                  std::to_string(labels.height) + " but the image is " +
                                  std::to_string(image.width) + "x" + std::to_string(image.height));
      ++masks;
      for (size_t s = 0; s < structures.size(); ++s) {
        long count = 0;
        for (auto v : labels.pixels) count += v == *structures[s]->maskLabel;
        const double area = 100.0 * double(count) / double(labels.pixels.size());
        const double wanted = row.attributes.at(structures[s]->name);
        const double error = std::abs(area - wanted) / std::max(std::abs(wanted), 1e-9);
        sum[s] += error;
        if (error > worst[s]) worst[s] = error, worstId[s] = row.id;
      }
    }
    progress.update(long(r + 1));
  }
  progress.finish();
  std::printf("%zu rows, %ld with masks\n", manifest.rows.size(), masks);
  bool ok = true;
  if (masks > 0) {
    std::printf("%-18s %16s %16s  %s\n", "structure", "mean rel. error", "worst rel. error",
                "worst id");
    for (size_t s = 0; s < structures.size(); ++s) {
      std::printf("%-18s %15.4f%% %15.4f%%  %s\n", structures[s]->name.c_str(),
                  100.0 * sum[s] / double(masks), 100.0 * worst[s], worstId[s].c_str());
      ok = ok && worst[s] <= tolerance;
    }
  }
  std::printf("%s\n",
              ok ? "OK" : "FAILED: an area differs from its mask by more than the tolerance");
  return ok ? 0 : 1;
}

}  // namespace

int runDataCommand(const std::vector<std::string>& arguments) {
  if (!arguments.empty() && arguments[0] == "check")
    return check({arguments.begin() + 1, arguments.end()});
  throw UsageError("expected a subcommand: cfx data check --help");
}

}  // namespace cfx::cli
