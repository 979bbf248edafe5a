#include "counterfactual_evaluation.h"

#include <torch/torch.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "attribute_imputation.h"
#include "counterfactual_engine.h"
#include "difference_map.h"
#include "hvae_scoring.h"
#include "image_mechanism.h"
#include "image_metrics.h"
#include "image_set.h"
#include "intervention.h"
#include "intervention_plan.h"
#include "manifest.h"
#include "overlay.h"
#include "phantom_dataset.h"
#include "phantom_subject.h"
#include "predictor.h"
#include "tensor_bridge.h"
#include "text_format.h"
#include "tile_labels.h"
#include "validation_error.h"

namespace cfx::evaluation {
namespace {

namespace fs = std::filesystem;

// The pixels a structure occupies are grown by this much before change outside it is counted:
// the blur of the film spreads an edit a little beyond the mask's edge.
constexpr int64_t kRegionDilation = 3;
constexpr int kTileZoom = 2;

// What MAPE averages: the error relative to the target (guarded against a target of zero).
double relativeError(double value, double target) {
  return std::abs(value - target) / std::max(std::abs(target), 1e-6);
}

// Running sums of one statistic.
struct Mean {
  double sum = 0.0;
  long n = 0;
  void add(double v) { sum += v, ++n; }
  double value() const { return n ? sum / double(n) : std::nan(""); }
};

// What one measured variable scores under interventions on one variable.
struct Effect {
  Mean absoluteError, relativeError, correct;
  // Areas only. relativeChangeError: the measured ratio counterfactual / input against the
  // intended ratio target / recorded value, i.e. the target taken relative to the evaluation
  // segmentor's own reading of the input, so its misreading of the recorded area cancels (on real
  // films there is no true counterfactual to measure it against). inputRelativeError: the unedited
  // input against the target (what no edit scores). measurementRelativeError: the input's reading
  // against its recorded value (the floor under relativeError that even a perfect edit has).
  Mean relativeChangeError, inputRelativeError, measurementRelativeError;
};

struct PerIntervened {
  std::map<std::string, Effect> measured;  // by measured variable
  Mean reversibility, localityInside, localityOutside, localityRatio, drift;
  // Change outside the region of the intervened structure and every structure descending from it
  // in the graph: what leaks beyond the edit the causal graph permits (do(heart) may move the left
  // lung's border; it may not move the right lung's).
  Mean localityOutsideAffected;
  Mean truthL1, truthSsim, truthAreaError, inputToTruthL1;
  // The true counterfactual's own change outside R: what a perfect model would be charged.
  Mean truthOutside, truthOutsideAffected;
  // The relative error of the intervened area as measured on the true counterfactual (the floor
  // the evaluation segmentor sets under any model's MAPE).
  Mean truthMeasuredRelativeError;
  std::vector<double> targets, achieved;  // for the scatter plot
  long n = 0;
};

nlohmann::json number(double value) {
  return std::isnan(value) ? nlohmann::json() : nlohmann::json(value);
}

}  // namespace

CounterfactualEvaluation evaluateCounterfactuals(const CounterfactualEvaluationOptions& options,
                                                 WorkMonitor& monitor) {
  const std::string& modelDir = options.modelDir;
  const std::string& dataDir = options.dataDir;
  EngineOptions engineOptions;
  engineOptions.device = options.device;
  auto engine = CounterfactualEngine::load(modelDir, engineOptions);
  Segmentor evaluator = loadSegmentor(modelDir, "eval_segmentor");
  evaluator->to(options.device);
  Predictor predictor = loadPredictor(modelDir);
  predictor->to(options.device);
  const CausalGraph& graph = engine->graph();
  const data::Manifest manifest = data::readManifest(dataDir + "/manifest.csv", graph);
  data::ImageSet set =
      data::loadImageSet(manifest, graph, options.split, int(engine->imageSize()), false);
  // Unknown values of real data sets (a heart without a mask, an age without a record) start from
  // the model's own estimate, as in the explorer.
  data::imputeFromModelFolder(set, graph, modelDir, options.device, manifest.path);
  if (set.images.size(0) == 0)
    throw ValidationError(dataDir, "split " + options.split, "has no subjects");
  std::optional<data::PhantomDataset> phantom;
  if (fs::exists(fs::path(dataDir) / "exogenous.bin")) phantom = data::loadPhantomDataset(dataDir);
  std::optional<phantom::PhantomScm> truth;
  if (phantom) truth.emplace(phantom->coefficients);
  const int64_t size = engine->imageSize();
  const auto& structures = evaluator->config().structures;
  const auto& predicted = predictor->config().targets;

  // Every graph variable measured on an image: areas by the evaluation segmentor, the rest by
  // the predictors. Also the label map and the realism features.
  struct Measurement {
    std::map<std::string, double> values;
    torch::Tensor labels, features;
  };
  const auto measure = [&](const torch::Tensor& image) {
    torch::NoGradGuard noGrad;
    const auto x = image.view({1, 1, size, size}).to(options.device);
    const auto probabilities = evaluator->probabilities(x);
    const auto areas = SegmentorImpl::softAreas(probabilities).cpu()[0];
    Measurement m;
    for (size_t k = 0; k < structures.size(); ++k)
      m.values[structures[k].variable] = areas[int64_t(k)].item<double>();
    const auto outputs = predictor->predict(x).cpu()[0];
    for (size_t t = 0; t < predicted.size(); ++t)
      if (!m.values.count(predicted[t].name))
        m.values[predicted[t].name] = outputs[int64_t(t)].item<double>();
    m.labels = evaluator->labelMaps(probabilities)[0];
    m.features = evaluator->features(x).cpu();
    return m;
  };
  const auto structureLabel = [&](const std::string& variable) -> std::optional<int> {
    for (const auto& s : structures)
      if (s.variable == variable) return s.label;
    return std::nullopt;
  };
  // The structures the graph makes depend on `variable` (do(heart) moves the left lung).
  const auto descendantStructures = [&](const std::string& variable) {
    std::vector<SegmentedStructure> found;
    for (const auto& s : structures)
      if (s.variable != variable && graph.dependsOn(s.variable, variable)) found.push_back(s);
    return found;
  };
  // The pixels a structure intervention may change: the structure (and, with `descendants`, the
  // structures descending from it) before or after, dilated.
  const auto changeRegion = [&](const torch::Tensor& before, const torch::Tensor& after,
                                const std::string& variable, bool descendants) {
    std::vector<int> labels{*structureLabel(variable)};
    if (descendants)
      for (const auto& s : descendantStructures(variable)) labels.push_back(s.label);
    return structureRegion(before, after, labels, kRegionDilation);
  };

  const int64_t count = options.interventions;
  const int64_t cycles = options.cycles;
  const int64_t gridSize = options.grid;
  const int64_t seed = int64_t(options.seed);
  const auto quantised = quantise(set.images);
  const auto plan = planInterventions(graph, set.attributes, count, std::uint64_t(seed));
  std::map<std::string, PerIntervened> results;
  Mean composition1, composition10;
  std::vector<torch::Tensor> realFeatures, counterfactualFeatures;
  CounterfactualEvaluation evaluation;
  evaluation.regionDilation = kRegionDilation;
  std::map<std::string, int> shownPerVariable;
  monitor.begin("evaluate", long(count));
  for (int64_t i = 0; i < count; ++i) {
    monitor.throwIfCancelled();
    const PlannedIntervention& p = plan[size_t(i)];
    const std::string& variable = graph.variables()[p.variable].name;
    const auto image = quantised.slice(0, p.subject, p.subject + 1);
    std::map<std::string, double> observed;
    for (size_t v = 0; v < graph.variables().size(); ++v)
      observed[graph.variables()[v].name] = set.attributes[p.subject][int64_t(v)].item<double>();

    const auto subject = engine->abduct(image, observed);
    const auto result = engine->predict(subject, {Intervention{variable, p.target, false}});
    const auto& wanted = result.scalars.counterfactual;
    const auto before = measure(image), after = measure(result.image);
    realFeatures.push_back(before.features);
    counterfactualFeatures.push_back(after.features);
    PerIntervened& r = results[variable];
    ++r.n;

    // Effectiveness of every variable: intervened, descendants and the ones that should stay.
    for (const auto& [name, value] : after.values) {
      Effect& e = r.measured[name];
      const double target = wanted.at(name);
      if (graph.variable(name).kind == VariableKind::Binary) {
        e.correct.add((value > 0.5) == (target > 0.5) ? 1.0 : 0.0);
      } else {
        e.absoluteError.add(std::abs(value - target));
        e.relativeError.add(relativeError(value, target));
        if (structureLabel(name)) {
          const double recorded = observed.at(name), input = before.values.at(name);
          e.relativeChangeError.add(
              relativeError(value / std::max(input, 1e-6), target / std::max(recorded, 1e-6)));
          e.inputRelativeError.add(relativeError(input, target));
          e.measurementRelativeError.add(relativeError(input, recorded));
        }
      }
    }
    if (structureLabel(variable)) {
      r.targets.push_back(wanted.at(variable));
      r.achieved.push_back(after.values.at(variable));
      const Locality l = locality(image[0][0], result.image,
                                  changeRegion(before.labels, after.labels, variable, false));
      r.localityInside.add(l.inside);
      r.localityOutside.add(l.outside);
      r.localityRatio.add(l.ratio);
      r.localityOutsideAffected.add(
          locality(image[0][0], result.image,
                   changeRegion(before.labels, after.labels, variable, true))
              .outside);
      for (const auto& s : structures)
        if (s.variable != variable && !graph.dependsOn(s.variable, variable))
          r.drift.add(std::abs(after.values.at(s.variable) - before.values.at(s.variable)));
    }

    // Composition: null interventions, once and ten times (abducting again each cycle).
    composition1.add(meanAbsoluteDifference255(image, engine->predict(subject, {}).image));
    if (i < cycles) {
      torch::Tensor current = image;
      for (int cycle = 0; cycle < 10; ++cycle)
        current =
            engine->predict(engine->abduct(current.view({1, 1, size, size}), observed), {}).image;
      composition10.add(meanAbsoluteDifference255(image, current));
    }
    // Reversibility: from the counterfactual back to the observed value.
    const auto back = engine->predict(engine->abduct(result.image.view({1, 1, size, size}), wanted),
                                      {Intervention{variable, observed.at(variable), false}});
    r.reversibility.add(meanAbsoluteDifference255(image, back.image));

    torch::Tensor trueImage;
    if (phantom) {
      const auto rendered = phantom::renderSubject(
          *truth, phantom->noise.at(set.ids[size_t(p.subject)]), int(size), {{variable, p.target}});
      trueImage = io::toTensor(rendered.image)[0][0];
      r.truthL1.add(meanAbsoluteDifference255(result.image, trueImage));
      r.truthSsim.add(structuralSimilarity(result.image, trueImage));
      r.inputToTruthL1.add(meanAbsoluteDifference255(image, trueImage));
      if (structureLabel(variable)) {
        r.truthAreaError.add(
            std::abs(after.values.at(variable) - rendered.attributes.get(variable)));
        // Scored exactly as a model's counterfactual would be, with the truth in its place.
        const auto trueMeasured = measure(trueImage);
        const auto& trueLabels = trueMeasured.labels;
        const double target = wanted.at(variable);
        r.truthMeasuredRelativeError.add(relativeError(trueMeasured.values.at(variable), target));
        r.truthOutside.add(locality(image[0][0], trueImage,
                                    changeRegion(before.labels, trueLabels, variable, false))
                               .outside);
        r.truthOutsideAffected.add(locality(image[0][0], trueImage,
                                            changeRegion(before.labels, trueLabels, variable, true))
                                       .outside);
      }
    }
    if (shownPerVariable[variable] <
            std::max<int64_t>(1, gridSize / int64_t(graph.variables().size())) &&
        int64_t(evaluation.examples.size()) < gridSize) {
      ++shownPerVariable[variable];
      const GrayImage factual = io::fromTensor(image[0][0]),
                      counterfactual = io::fromTensor(result.image);
      const GrayImage truth = trueImage.defined() ? io::fromTensor(trueImage) : GrayImage();
      // One colour scale for the model's and the truth's difference, so they compare by eye.
      const double range = std::max(report::differenceRange(factual, counterfactual),
                                    truth.empty() ? 0.0 : report::differenceRange(factual, truth));
      const auto differenceTile = [&](const GrayImage& other, bool colourBar) {
        return report::differenceMap(report::upscaleNearest(factual, kTileZoom),
                                     report::upscaleNearest(other, kTileZoom), range, colourBar);
      };
      std::vector<RgbImage> tiles{report::toRgb(factual, kTileZoom),
                                  report::toRgb(counterfactual, kTileZoom),
                                  differenceTile(counterfactual, truth.empty())};
      report::caption(tiles[0], "original");
      report::caption(tiles[1], report::tileLabel(variable) + " " +
                                    formatCell(observed.at(variable), "%.1f") + " -> " +
                                    formatCell(p.target, "%.1f"));
      report::caption(tiles[2], "difference");
      if (!truth.empty()) {
        tiles.push_back(report::toRgb(truth, kTileZoom));
        report::caption(tiles.back(), "true counterfactual");
        tiles.push_back(differenceTile(truth, true));
        report::caption(tiles.back(), "true difference");
      }
      EvaluationExample example;
      example.row = report::row(tiles, 4, {255, 255, 255});
      // The tiles' own labels must stay short; the figure caption says everything in words.
      const Variable& v = graph.variable(variable);
      const std::string unit = v.unit.empty() ? "" : " " + v.unit;
      example.caption =
          "Subject " + set.ids[size_t(p.subject)] + ": do(" + variable + " = " +
          formatCell(p.target, "%.2f") + unit + ") from " +
          formatCell(observed.at(variable), "%.2f") + "; the evaluation measures " +
          formatCell(after.values.at(variable), "%.2f") +
          " on the counterfactual. Columns: original, counterfactual, difference (counterfactual "
          "minus original, red where brighter)" +
          (!truth.empty() ? ", true counterfactual rendered by the phantom, its difference "
                            "from the original (same colour scale)."
                          : ".");
      evaluation.examples.push_back(std::move(example));
    }
    monitor.update(long(i + 1));
  }
  monitor.finish();

  // Features standardised by the real images' statistics, so that the distances are in units of
  // each feature's spread over real radiographs.
  auto real = torch::cat(realFeatures).to(torch::kFloat64),
       fake = torch::cat(counterfactualFeatures).to(torch::kFloat64);
  const auto featureMean = real.mean(0), featureStd = real.std(0).clamp_min(1e-8);
  real = (real - featureMean) / featureStd, fake = (fake - featureMean) / featureStd;
  const double fd = frechetDistance(real, fake), kid = kernelDistance(real, fake);

  // The image mechanism's fit to these images: fine-tuning must not buy effectiveness with it.
  // Latents are sampled, so the generator is seeded for a repeatable number.
  double nelboBitsPerDim = 0;
  {
    ImageMechanism mechanism = loadImageMechanism(modelDir);
    mechanism.hvae->to(options.device);
    torch::manual_seed(std::uint64_t(seed));
    nelboBitsPerDim = hvaeLossOn(*mechanism.hvae, quantised,
                                 mechanism.parents.encode(set.attributes, graph), options.device)
                          .bitsPerDim();
  }

  // Tables: printed, in metrics.json and in the report.
  std::vector<std::string> variableOrder;
  for (const auto& v : graph.variables()) variableOrder.push_back(v.name);
  nlohmann::json metrics = {{"model", fs::absolute(modelDir).string()},
                            {"data", fs::absolute(dataDir).string()},
                            {"split", options.split},
                            {"interventions", count},
                            {"seed", seed},
                            {"composition_l1_1_cycle", composition1.value()},
                            {"composition_l1_10_cycles", number(composition10.value())},
                            {"realism_frechet_distance_eval_segmentor_features", fd},
                            {"realism_kid_eval_segmentor_features", kid},
                            {"image_nelbo_bits_per_dim", nelboBitsPerDim},
                            {"variables", variableOrder},
                            {"by_intervention", nlohmann::json::object()}};
  if (engine->hvaeConfig().contains("fine_tuning"))
    metrics["fine_tuning"] = engine->hvaeConfig()["fine_tuning"];
  std::vector<std::string> effectHeader{"do(variable)", "n"};
  for (const auto& v : graph.variables())
    effectHeader.push_back(v.name + (v.kind == VariableKind::Binary ? " accuracy" : " MAE"));
  effectHeader.push_back("MAPE of target");
  effectHeader.push_back("MAPE of change");
  effectHeader.push_back("MAPE of input");
  effectHeader.push_back("MAPE of measurement");
  std::vector<std::vector<std::string>> effectRows, localityRows, truthRows;
  for (const auto& v : graph.variables()) {
    const auto it = results.find(v.name);
    if (it == results.end()) continue;
    const PerIntervened& r = it->second;
    nlohmann::json entry = {{"n", r.n}, {"reversibility_l1", r.reversibility.value()}};
    std::vector<std::string> row{v.name, std::to_string(r.n)};
    for (const auto& m : graph.variables()) {
      const auto e = r.measured.find(m.name);
      if (e == r.measured.end()) {
        row.push_back("-");
        continue;
      }
      if (m.kind == VariableKind::Binary) {
        row.push_back(formatCell(e->second.correct.value()));
        entry["measured"][m.name] = {{"accuracy", e->second.correct.value()}};
      } else {
        row.push_back(formatCell(e->second.absoluteError.value()));
        entry["measured"][m.name] = {{"mae", e->second.absoluteError.value()},
                                     {"mape", e->second.relativeError.value()}};
        if (structureLabel(m.name)) {
          entry["measured"][m.name]["mape_of_change"] = e->second.relativeChangeError.value();
          entry["measured"][m.name]["input_mape"] = e->second.inputRelativeError.value();
          entry["measured"][m.name]["measurement_mape"] =
              e->second.measurementRelativeError.value();
        }
      }
    }
    const auto own = r.measured.find(v.name);
    const bool binary = v.kind == VariableKind::Binary;
    const auto percent = [&](const Mean Effect::*mean) {
      return own == r.measured.end() || binary || (own->second.*mean).n == 0
                 ? std::string("-")
                 : formatCell(100 * (own->second.*mean).value(), "%.2f %%");
    };
    row.push_back(percent(&Effect::relativeError));
    row.push_back(percent(&Effect::relativeChangeError));
    row.push_back(percent(&Effect::inputRelativeError));
    row.push_back(percent(&Effect::measurementRelativeError));
    effectRows.push_back(row);
    if (structureLabel(v.name)) {
      entry["locality"] = {{"inside_l1", r.localityInside.value()},
                           {"outside_l1", r.localityOutside.value()},
                           {"outside_over_inside", r.localityRatio.value()},
                           {"outside_descendants_l1", r.localityOutsideAffected.value()},
                           {"drift_of_non_descendant_areas", r.drift.value()}};
      std::vector<std::string> descendants;
      for (const auto& s : descendantStructures(v.name)) descendants.push_back(s.variable);
      entry["locality"]["descendant_structures"] = descendants;
      if (phantom) {
        entry["locality"]["true_counterfactual_outside_l1"] = r.truthOutside.value();
        entry["locality"]["true_counterfactual_outside_descendants_l1"] =
            r.truthOutsideAffected.value();
      }
      localityRows.push_back({v.name, std::to_string(r.n), formatCell(r.localityInside.value()),
                              formatCell(r.localityOutside.value()),
                              phantom ? formatCell(r.truthOutside.value()) : "-",
                              formatCell(r.localityOutsideAffected.value()),
                              phantom ? formatCell(r.truthOutsideAffected.value()) : "-",
                              formatCell(r.localityRatio.value()), formatCell(r.drift.value()),
                              formatCell(r.reversibility.value())});
    }
    if (phantom) {
      entry["truth"] = {{"l1", r.truthL1.value()},
                        {"ssim", r.truthSsim.value()},
                        {"area_error", number(r.truthAreaError.value())},
                        {"input_to_truth_l1", r.inputToTruthL1.value()}};
      if (structureLabel(v.name)) {
        entry["truth"]["true_counterfactual_mape"] = r.truthMeasuredRelativeError.value();
        entry["truth"]["input_mape"] = r.measured.at(v.name).inputRelativeError.value();
      }
      truthRows.push_back({v.name, std::to_string(r.n), formatCell(r.truthL1.value()),
                           formatCell(r.inputToTruthL1.value()),
                           formatCell(r.truthSsim.value(), "%.4f"),
                           formatCell(r.truthAreaError.value()),
                           formatCell(100 * r.truthMeasuredRelativeError.value(), "%.2f %%")});
    }
    metrics["by_intervention"][v.name] = entry;
  }

  evaluation.effectiveness = {effectHeader, effectRows};
  evaluation.locality = {
      {"do(structure)", "n", "change inside R", "change outside R", "truth's change outside R",
       "change outside R and descendants", "truth's change outside R and descendants",
       "outside / inside", "drift of other areas (pp)", "reversibility L1"},
      localityRows};
  if (phantom)
    evaluation.truth = {{"do(variable)", "n", "L1 to truth", "input to truth", "SSIM to truth",
                         "area error (pp)", "MAPE of truth"},
                        truthRows};
  for (const auto& v : graph.variables()) {
    const auto it = results.find(v.name);
    if (it != results.end() && !it->second.targets.empty())
      evaluation.scatter.push_back({v.name, it->second.targets, it->second.achieved});
  }
  evaluation.cyclesRun = std::min(cycles, count);
  evaluation.composition1 = composition1.value();
  evaluation.composition10 = composition10.value();
  evaluation.frechetDistance = fd;
  evaluation.kid = kid;
  evaluation.nelboBitsPerDim = nelboBitsPerDim;
  evaluation.metrics = std::move(metrics);
  return evaluation;
}

}  // namespace cfx::evaluation
