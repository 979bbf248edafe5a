#include "counterfactual_command.h"

#include <torch/torch.h>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>

#include "argument_parser.h"
#include "atomic_file.h"
#include "counterfactual_engine.h"
#include "device.h"
#include "dicom_io.h"
#include "difference_map.h"
#include "image_resize.h"
#include "overlay.h"
#include "png_io.h"
#include "radiograph_reader.h"
#include "runtime_options.h"
#include "tensor_bridge.h"
#include "validation_error.h"

namespace cfx::cli {
namespace fs = std::filesystem;
namespace {

void writeText(const std::string& path, const std::string& text) {
  io::writeFileAtomically(path, std::vector<unsigned char>(text.begin(), text.end()));
}

}  // namespace

int runCounterfactualCommand(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx counterfactual",
      "Answer \"what would this radiograph look like if ...\": abduct the image's exogenous "
      "state,\n"
      "apply the interventions (absolute, or relative like left_lung_area=-20%), recompute their\n"
      "descendants through the SCM and decode the counterfactual. Attributes not given with "
      "--attr\n"
      "come from the DICOM header (age, sex) or, for structure areas, from the segmentor.\n"
      "Writes counterfactual.png, factual.png, difference.png, counterfactual.json and, for a\n"
      "DICOM input, counterfactual.dcm (a derived image marked synthetic).");
  parser.required("model", "MODEL_DIR", "model folder (scm, hvae, segmentor)")
      .required("image", "FILE", "radiograph: DICOM or PNG")
      .repeated("attr", "VAR=VALUE", "observed value of a variable (e.g. age=63, sex=F)")
      .repeated("do", "VAR=VALUE",
                "intervention; repeat for several; none gives the reconstruction")
      .required("out", "DIR", "output folder (created if needed)")
      .option("particles", "K", "abductions averaged; > 1 also writes variance.png", "1")
      .option("temperature", "T", "latent abduction temperature", "1")
      .option("seed", "S", "abduction seed", "0")
      .flag("clamp", "clamp intervened values into the supported range instead of refusing");
  declareRuntimeOptions(parser);
  if (!parser.parse(arguments)) return 0;
  EngineOptions options;
  options.device = applyRuntimeOptions(parser);
  options.particles = int(parser.getInteger("particles", 1, 256));
  options.latentTemperature = parser.getNumber("temperature");
  options.seed = std::uint64_t(parser.getInteger("seed", 0, 1L << 40));
  options.rangePolicy = parser.has("clamp") ? OutOfRangePolicy::Clamp : OutOfRangePolicy::Reject;
  const std::string modelDir = parser.get("model"), input = parser.get("image"),
                    outDir = parser.get("out");
  auto engine = CounterfactualEngine::load(modelDir, options);
  const CausalGraph& graph = engine->graph();

  const io::Radiograph radiograph = io::readRadiograph(input);
  const int size = int(engine->imageSize());
  const GrayImage factual = io::resizeImage(radiograph.image, size, size);
  const torch::Tensor image = io::toTensor(factual);

  std::map<std::string, double> given;
  std::vector<std::string> sources;
  if (graph.indexOf("age") && radiograph.metadata.patientAgeYears)
    given["age"] = *radiograph.metadata.patientAgeYears, sources.push_back("age from PatientAge");
  if (graph.indexOf("sex") && radiograph.metadata.patientSex)
    given["sex"] = *radiograph.metadata.patientSex == 'M' ? 1.0 : 0.0,
    sources.push_back("sex from PatientSex");
  for (const std::string& spec : parser.all("attr")) {
    const auto eq = spec.find('=');
    const std::string name = spec.substr(0, eq);
    if (eq == std::string::npos || !graph.indexOf(name))
      throw ValidationError("--attr " + spec, "variable",
                            "expected VAR=VALUE with VAR a graph variable");
    const auto value = graph.parseValue(graph.variable(name), spec.substr(eq + 1));
    if (!value) throw ValidationError("--attr " + spec, "value", "not a number or category name");
    given[name] = *value;
    sources.push_back(name + " from --attr");
  }
  const auto measuredFactual = engine->measureAreas(image);
  const auto observed = engine->completeObservation(given, measuredFactual);
  std::vector<Intervention> interventions;
  for (const auto& spec : parser.all("do")) interventions.push_back(parseIntervention(spec, graph));

  const auto subject = engine->abduct(image, observed);
  const auto result = engine->predict(subject, interventions);
  const GrayImage counterfactual = io::fromTensor(result.image);

  fs::create_directories(outDir);
  const auto output = [&](const char* name) {
    const std::string path = (fs::path(outDir) / name).string();
    io::refuseToOverwriteInput(input, path);
    return path;
  };
  io::writeGrayPng(output("counterfactual.png"), counterfactual, 16);
  io::writeGrayPng(output("factual.png"), factual, 16);
  const int zoom = std::max(1, 512 / size);
  const double range = report::differenceRange(factual, counterfactual);
  io::writeRgbPng(output("difference.png"),
                  report::differenceMap(report::upscaleNearest(factual, zoom),
                                        report::upscaleNearest(counterfactual, zoom), range, true));
  if (options.particles > 1) {
    GrayImage variance(size, size);
    const auto v = result.variance / result.variance.max().clamp_min(1e-12);
    std::memcpy(variance.pixels.data(), v.contiguous().data_ptr<float>(),
                variance.pixels.size() * sizeof(float));
    io::writeGrayPng(output("variance.png"), variance, 16);
  }

  std::string what;
  for (const auto& spec : parser.all("do")) what += (what.empty() ? "" : ", ") + spec;
  if (what.empty()) what = "none (reconstruction)";
  if (radiograph.metadata.dicom) {
    io::RadiographMetadata meta = radiograph.metadata;
    if (meta.pixelSpacingMm) *meta.pixelSpacingMm *= double(radiograph.image.width) / double(size);
    if (graph.indexOf("age")) meta.patientAgeYears = result.scalars.counterfactual.at("age");
    io::writeDicom(output("counterfactual.dcm"), counterfactual, meta,
                   {"SYNTHETIC COUNTERFACTUAL - NOT FOR DIAGNOSIS",
                    "Counterfactual by cfx (Seg-CFT deep SCM), model " +
                        fs::absolute(modelDir).string() + ", intervention do(" + what + ")",
                    true, 900});
  }
  nlohmann::json json = {{"disclaimer", "synthetic image, not for diagnosis"},
                         {"model", fs::absolute(modelDir).string()},
                         {"input", fs::absolute(input).string()},
                         {"interventions", parser.all("do")},
                         {"attribute_sources", sources},
                         {"factual", result.scalars.factual},
                         {"counterfactual", result.scalars.counterfactual},
                         {"intervened", result.scalars.intervened},
                         {"changed_through_scm", result.scalars.changedThroughScm},
                         {"measured_on_factual", measuredFactual},
                         {"measured_on_counterfactual", result.measured},
                         {"notes", result.scalars.notes},
                         {"particles", options.particles},
                         {"latent_temperature", options.latentTemperature},
                         {"difference_range_grey_levels", range * 255.0},
                         {"prediction_ms", result.milliseconds},
                         {"device", describeDevice(options.device)}};
  writeText(output("counterfactual.json"), json.dump(2) + "\n");

  std::printf("%-18s %10s %14s %12s\n", "variable", "factual", "counterfactual", "measured");
  for (const auto& v : graph.variables()) {
    const auto measured = result.measured.find(v.name);
    char measuredText[32] = "";
    if (measured != result.measured.end())
      std::snprintf(measuredText, sizeof measuredText, "%.3f", measured->second);
    const bool intervened =
        std::find(result.scalars.intervened.begin(), result.scalars.intervened.end(), v.name) !=
        result.scalars.intervened.end();
    const bool changed =
        std::find(result.scalars.changedThroughScm.begin(), result.scalars.changedThroughScm.end(),
                  v.name) != result.scalars.changedThroughScm.end();
    std::printf("%-18s %10.3f %14.3f %12s%s\n", v.name.c_str(), result.scalars.factual.at(v.name),
                result.scalars.counterfactual.at(v.name), measuredText,
                intervened ? "  (intervened)" : (changed ? "  (changed via the SCM)" : ""));
  }
  for (const auto& note : result.scalars.notes) std::printf("note: %s\n", note.c_str());
  std::printf("prediction %.1f ms on %s; wrote %s\n", result.milliseconds,
              describeDevice(options.device).c_str(), outDir.c_str());
  return 0;
}

}  // namespace cfx::cli
