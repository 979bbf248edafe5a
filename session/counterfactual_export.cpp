#include "counterfactual_export.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "atomic_file.h"
#include "dicom_io.h"
#include "difference_map.h"
#include "overlay.h"
#include "png_io.h"
#include "staged_output.h"
#include "tensor_bridge.h"

namespace cfx::session {
namespace fs = std::filesystem;

const char* const kCounterfactualSeriesDescription = "SYNTHETIC COUNTERFACTUAL - NOT FOR DIAGNOSIS";

ExportedFiles exportCounterfactual(const Study& study, const CounterfactualResult& result,
                                   const ExportRequest& request) {
  const int size = study.factual.width;
  const GrayImage counterfactual = io::fromTensor(result.image);
  std::vector<std::string> names = {"counterfactual.png", "factual.png", "difference.png",
                                    "counterfactual.json"};
  if (request.particles > 1) names.push_back("variance.png");
  if (study.radiograph.metadata.dicom) names.push_back("counterfactual.dcm");
  // A radiograph not at the model's size also gets its counterfactual at its own size.
  const GrayImage& input = study.radiograph.image;
  const bool resampled = input.width != size || input.height != study.factual.height;
  if (resampled) names.push_back("counterfactual_input_size.png");
  // Every file is written into a staging folder and moved into place together at the end: an
  // error half-way leaves the output folder as it was.
  io::StagedOutput staged(request.outDir);
  std::map<std::string, std::string> paths;
  for (const auto& name : names) {
    io::refuseToOverwriteInput(study.path, staged.finalPath(name));
    paths[name] = staged.stagingPath(name);
  }
  ExportedFiles exported;
  const GrayImage atInputSize = counterfactualAtInputSize(study, counterfactual);
  io::writeGrayPng(paths["counterfactual.png"], counterfactual, 16);
  if (resampled) io::writeGrayPng(paths["counterfactual_input_size.png"], atInputSize, 16);
  io::writeGrayPng(paths["factual.png"], study.factual, 16);
  const int zoom = std::max(1, 512 / size);
  const double range = report::differenceRange(study.factual, counterfactual);
  io::writeRgbPng(paths["difference.png"],
                  report::differenceMap(report::upscaleNearest(study.factual, zoom),
                                        report::upscaleNearest(counterfactual, zoom), range, true));
  if (request.particles > 1) {
    GrayImage variance(size, size);
    const auto v = (result.variance / result.variance.max().clamp_min(1e-12)).contiguous();
    std::memcpy(variance.pixels.data(), v.data_ptr<float>(),
                variance.pixels.size() * sizeof(float));
    io::writeGrayPng(paths["variance.png"], variance, 16);
  }
  std::string what;
  for (const auto& spec : request.interventionTexts) what += (what.empty() ? "" : ", ") + spec;
  if (what.empty()) what = "none (reconstruction)";
  if (study.radiograph.metadata.dicom) {
    // At the input's size and pixel spacing, so that it lies over the original in a viewer.
    io::RadiographMetadata meta = study.radiograph.metadata;
    if (result.scalars.counterfactual.count("age"))
      meta.patientAgeYears = result.scalars.counterfactual.at("age");
    io::writeDicom(paths["counterfactual.dcm"], atInputSize, meta,
                   {kCounterfactualSeriesDescription,
                    "Counterfactual by cfx (Seg-CFT deep SCM), model " +
                        fs::absolute(request.modelDir).string() + ", intervention do(" + what + ")",
                    true, 900});
  }
  exported.sidecar = {{"disclaimer", "synthetic image, not for diagnosis"},
                      {"model", fs::absolute(request.modelDir).string()},
                      {"input", fs::absolute(study.path).string()},
                      {"interventions", request.interventionTexts},
                      {"attribute_sources", study.sources},
                      {"factual", result.scalars.factual},
                      {"counterfactual", result.scalars.counterfactual},
                      {"intervened", result.scalars.intervened},
                      {"changed_through_scm", result.scalars.changedThroughScm},
                      {"measured_on_factual", study.measuredFactual},
                      {"measured_on_counterfactual", result.measured},
                      {"notes", result.scalars.notes},
                      {"particles", request.particles},
                      {"latent_temperature", request.latentTemperature},
                      {"difference_range_grey_levels", range * 255.0},
                      {"model_size", {size, study.factual.height}},
                      {"input_size", {input.width, input.height}},
                      {"input_size_method",
                       resampled ? "input plus the model's edit (counterfactual minus factual at "
                                   "the model's size) upsampled bilinearly; measured values refer "
                                   "to the model-size image"
                                 : "the model's size is the input's"},
                      {"prediction_ms", result.milliseconds},
                      {"device", request.device}};
  const std::string text = exported.sidecar.dump(2) + "\n";
  io::writeFileAtomically(paths["counterfactual.json"],
                          std::vector<unsigned char>(text.begin(), text.end()));
  exported.written = staged.commit();
  return exported;
}

}  // namespace cfx::session
