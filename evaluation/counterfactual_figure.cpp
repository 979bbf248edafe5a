#include "counterfactual_figure.h"

#include <torch/torch.h>
#include <algorithm>
#include <array>
#include <cstdio>

#include "attribute_imputation.h"
#include "counterfactual_engine.h"
#include "difference_map.h"
#include "image_set.h"
#include "intervention.h"
#include "manifest.h"
#include "overlay.h"
#include "tensor_bridge.h"
#include "tile_labels.h"

namespace cfx::evaluation {
namespace {

// The intervention shown for a variable: sex flipped, age +20 years, areas -20 %.
std::string interventionFor(const Variable& v, double observed) {
  if (v.kind != VariableKind::Continuous) return v.name + "=" + (observed > 0.5 ? "0" : "1");
  if (v.maskLabel) return v.name + "=-20%";
  return v.name + "=" + std::to_string(std::min(v.max, observed + 20.0));
}

}  // namespace

RgbImage counterfactualFigure(const std::string& modelDir, const std::string& dataDir,
                              int64_t subjectCount, const torch::Device& device,
                              const std::string& split) {
  EngineOptions engineOptions;
  engineOptions.device = device;
  auto engine = CounterfactualEngine::load(modelDir, engineOptions);
  const CausalGraph& graph = engine->graph();
  const data::Manifest manifest = data::readManifest(dataDir + "/manifest.csv", graph);
  data::ImageSet set = data::loadImageSet(manifest, graph, split, int(engine->imageSize()), false);
  data::imputeFromModelFolder(set, graph, modelDir, device, manifest.path);
  const int subjects = int(std::min<int64_t>(subjectCount, set.images.size(0)));
  const int zoom = std::max(1, 192 / int(engine->imageSize()));
  const std::array<std::uint8_t, 3> background{24, 24, 24};

  std::vector<RgbImage> rows;
  for (int s = 0; s < subjects; ++s) {
    std::map<std::string, double> observed;
    for (size_t v = 0; v < graph.variables().size(); ++v)
      observed[graph.variables()[v].name] = set.attributes[s][int64_t(v)].item<double>();
    const auto image = set.images.slice(0, s, s + 1);
    const auto subject = engine->abduct(image, observed);
    const GrayImage original = io::fromTensor(image);
    const GrayImage reconstruction = io::fromTensor(engine->predict(subject, {}).image);
    const auto measuredFactual = engine->measureAreas(image);
    std::vector<GrayImage> counterfactuals;
    std::vector<std::string> captions;
    // Under a structure's difference map: the segmentor's area before -> after, so that the
    // caption above (the target) is not read as the change.
    std::vector<std::string> measuredCaptions;
    for (const auto& v : graph.variables()) {
      const std::string spec = interventionFor(v, observed.at(v.name));
      const auto result = engine->predict(subject, {parseIntervention(spec, graph)});
      counterfactuals.push_back(io::fromTensor(result.image));
      char caption[64];
      if (v.maskLabel) {
        std::snprintf(caption, sizeof caption, "%s -20%%->%.1f", report::tileLabel(v.name).c_str(),
                      result.scalars.counterfactual.at(v.name));
        char measured[64];
        std::snprintf(measured, sizeof measured, "seg %.1f->%.1f", measuredFactual.at(v.name),
                      result.measured.at(v.name));
        measuredCaptions.emplace_back(measured);
      } else {
        std::snprintf(caption, sizeof caption, "do(%s=%s)", v.name.c_str(),
                      spec.substr(spec.find('=') + 1, 4).c_str());
        measuredCaptions.emplace_back();
      }
      captions.push_back(caption);
    }
    double range = 1.0 / 255.0;
    for (const auto& c : counterfactuals)
      range = std::max(range, report::differenceRange(original, c));

    std::vector<RgbImage> top{report::toRgb(original, zoom), report::toRgb(reconstruction, zoom)};
    report::caption(top[0], set.ids[size_t(s)]);
    report::caption(top[1], "reconstruction");
    std::vector<RgbImage> bottom{
        RgbImage(original.width * zoom, original.height * zoom, background),
        report::differenceMap(report::upscaleNearest(original, zoom),
                              report::upscaleNearest(reconstruction, zoom), range, false)};
    for (size_t c = 0; c < counterfactuals.size(); ++c) {
      top.push_back(report::toRgb(counterfactuals[c], zoom));
      report::caption(top.back(), captions[c]);
      bottom.push_back(report::differenceMap(report::upscaleNearest(original, zoom),
                                             report::upscaleNearest(counterfactuals[c], zoom),
                                             range, c + 1 == counterfactuals.size()));
      if (!measuredCaptions[c].empty()) report::caption(bottom.back(), measuredCaptions[c]);
    }
    rows.push_back(report::row(top, 3, background));
    rows.push_back(report::row(bottom, 3, background));
  }
  return report::column(rows, 6, background);
}

}  // namespace cfx::evaluation
