#include "phantom_commands.h"

#include <cstdio>
#include <iostream>
#include <limits>
#include <thread>

#include "argument_parser.h"
#include "console_progress.h"
#include "interrupt.h"
#include "phantom_counterfactual.h"
#include "phantom_dataset.h"
#include "phantom_gallery.h"
#include "png_io.h"

namespace cfx::cli {
namespace {

int generate(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx phantom",
      "Generate a synthetic chest-radiograph data set with exact masks, the causal variables\n"
      "and the stored exogenous noise (so true counterfactuals can be rendered later).\n"
      "Subcommands: cfx phantom counterfactual --help, cfx phantom gallery --help.");
  parser.required("out", "DIR", "new folder to create")
      .required("count", "N", "number of subjects")
      .option("size", "PX", "image width and height in pixels", "128")
      .option("seed", "S", "random seed; the same seed gives the same bytes", "1")
      .option("format", "png|dcm", "image format: 16-bit PNG or DICOM", "png")
      .option("threads", "T", "worker threads",
              std::to_string(std::max(1u, std::thread::hardware_concurrency())));
  if (!parser.parse(arguments)) return 0;
  data::PhantomDatasetOptions options;
  options.outDir = parser.get("out");
  options.count = parser.getInteger("count", 1, 10'000'000);
  options.size = int(parser.getInteger("size", 16, 4096));
  options.seed = std::uint64_t(parser.getInteger("seed", 0, std::numeric_limits<long>::max()));
  options.format = parser.get("format");
  options.threads = int(parser.getInteger("threads", 1, 256));

  ConsoleProgress progress(std::cerr, "phantom", options.count, stderrIsTerminal());
  const auto start = std::chrono::steady_clock::now();
  data::generatePhantomDataset(
      options, [&](long done) { progress.update(done); }, interruptRequested());
  progress.finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("wrote %ld subjects (%dx%d %s) to %s in %.1f s (%.0f subjects/min)\n", options.count,
              options.size, options.size, options.format.c_str(), options.outDir.c_str(), seconds,
              60.0 * options.count / seconds);
  return 0;
}

int counterfactual(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx phantom counterfactual",
      "Render the true counterfactual of a stored phantom subject: the SCM is re-run on the\n"
      "subject's own noise with the interventions, descendants are recomputed, and the image\n"
      "is re-rendered. VALUE is absolute (age=70, sex=F) or relative (left_lung_area=-20%).");
  parser.required("data", "DIR", "phantom data set folder")
      .required("id", "ID", "subject id (manifest.csv)")
      .repeated("do", "VAR=VALUE", "intervention; repeat for several")
      .required("out", "FILE", "output image: .png (16-bit) or .dcm")
      .option("mask-out", "FILE", "also write the counterfactual label map (PNG)")
      .flag("clamp", "clamp values outside a variable's supported range instead of refusing");
  if (!parser.parse(arguments)) return 0;
  const data::PhantomDataset dataset = data::loadPhantomDataset(parser.get("data"));
  const auto policy = parser.has("clamp") ? OutOfRangePolicy::Clamp : OutOfRangePolicy::Reject;
  const auto result =
      data::renderPhantomCounterfactual(dataset, parser.get("id"), parser.all("do"), policy);
  for (const auto& note : result.notes) std::cerr << "note: " << note << "\n";
  const std::string out = parser.get("out");
  data::writePhantomCounterfactual(result, parser.get("id"), parser.all("do"), out,
                                   parser.has("mask-out") ? parser.get("mask-out") : "");

  std::printf("%-16s %10s %14s\n", "variable", "factual", "counterfactual");
  for (const auto& v : dataset.graph.variables()) {
    const double before = result.factual.get(v.name), after = result.subject.attributes.get(v.name);
    const char* mark = result.intervened.count(v.name)
                           ? "  (intervened)"
                           : (before != after ? "  (changed via the SCM)" : "");
    std::printf("%-16s %10.3f %14.3f%s\n", v.name.c_str(), before, after, mark);
  }
  std::printf("wrote %s\n", out.c_str());
  return 0;
}

int gallery(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx phantom gallery",
      "Draw a PNG figure of a phantom data set: subjects with mask contours, and one subject's\n"
      "true counterfactuals under do(left_lung_area) at -CHANGE, 0 and +CHANGE with difference "
      "maps.");
  parser.required("data", "DIR", "phantom data set folder")
      .required("out", "FILE", "output PNG")
      .option("subjects", "N", "number of subjects in the grid (5 per row)", "15")
      .option("subject", "ID", "subject for the counterfactual row (default: the first)")
      .option("change", "PERCENT", "relative change of the left lung area", "30");
  if (!parser.parse(arguments)) return 0;
  const data::PhantomDataset dataset = data::loadPhantomDataset(parser.get("data"));
  const std::string subject =
      parser.has("subject") ? parser.get("subject") : dataset.noise.begin()->first;
  const double change = double(parser.getInteger("change", 1, 60)) / 100.0;
  const RgbImage figure =
      data::phantomGallery(dataset, int(parser.getInteger("subjects", 0, 64)), subject, change);
  io::writeRgbPng(parser.get("out"), figure);
  std::printf("wrote %s (%dx%d)\n", parser.get("out").c_str(), figure.width, figure.height);
  return 0;
}

}  // namespace

int runPhantomCommand(const std::vector<std::string>& arguments) {
  if (!arguments.empty() && arguments[0] == "counterfactual")
    return counterfactual({arguments.begin() + 1, arguments.end()});
  if (!arguments.empty() && arguments[0] == "gallery")
    return gallery({arguments.begin() + 1, arguments.end()});
  return generate(arguments);
}

}  // namespace cfx::cli
