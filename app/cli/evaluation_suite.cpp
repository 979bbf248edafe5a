#include "evaluation_suite.h"

#include <torch/torch.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "argument_parser.h"
#include "atomic_file.h"
#include "console_progress.h"
#include "counterfactual_engine.h"
#include "difference_map.h"
#include "html_report.h"
#include "image_mechanism.h"
#include "image_metrics.h"
#include "image_set.h"
#include "interrupt.h"
#include "intervention.h"
#include "manifest.h"
#include "overlay.h"
#include "phantom_dataset.h"
#include "phantom_subject.h"
#include "png_io.h"
#include "predictor.h"
#include "runtime_options.h"
#include "tensor_bridge.h"
#include "tile_labels.h"
#include "trainer.h"
#include "training_stage.h"
#include "validation_error.h"

namespace cfx::cli {
namespace {

namespace fs = std::filesystem;

// The pixels a structure occupies are grown by this much before change outside it is counted:
// the blur of the film spreads an edit a little beyond the mask's edge.
constexpr int64_t kRegionDilation = 3;
constexpr int kTileZoom = 2;

// One planned intervention: the same list for every model evaluated with the same seed and data.
struct Planned {
  int64_t subject = 0;
  size_t variable = 0;
  double target = 0.0;
};

// Structure variables are changed by 10-30 % up or down, other continuous ones by 10-30 % of
// their range, binary ones flipped; all clamped to the graph's range.
std::vector<Planned> planInterventions(const CausalGraph& graph, const torch::Tensor& attributes,
                                       int64_t count, std::uint64_t seed) {
  at::Generator g = makeGenerator(seed, 7);
  const auto uniform = [&] { return torch::rand({1}, g, torch::TensorOptions()).item<double>(); };
  std::vector<Planned> plan;
  for (int64_t i = 0; i < count; ++i) {
    Planned p;
    p.subject = torch::randint(attributes.size(0), {1}, g, torch::kInt64).item<int64_t>();
    p.variable = size_t(
        torch::randint(int64_t(graph.variables().size()), {1}, g, torch::kInt64).item<int64_t>());
    const Variable& v = graph.variables()[p.variable];
    const double observed = attributes[p.subject][int64_t(p.variable)].item<double>();
    const double magnitude = 0.1 + 0.2 * uniform();
    const double sign = uniform() < 0.5 ? -1.0 : 1.0;
    if (v.kind == VariableKind::Binary)
      p.target = 1.0 - observed;
    else if (v.kind == VariableKind::Categorical)
      p.target = double((int64_t(observed) + 1) % int64_t(v.categories.size()));
    else
      p.target = relativeChangeTarget(v, observed, sign * magnitude);
    p.target = std::clamp(p.target, v.min, v.max);
    plan.push_back(p);
  }
  return plan;
}

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
  // the evaluation segmentor sets under any model's MAPE) and on the unedited input.
  Mean truthMeasuredRelativeError, inputRelativeError;
  std::vector<double> targets, achieved;  // for the scatter plot
  long n = 0;
};

std::string format(double value, const char* spec = "%.3f") {
  if (std::isnan(value)) return "-";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, spec, value);
  return buffer;
}

nlohmann::json number(double value) {
  return std::isnan(value) ? nlohmann::json() : nlohmann::json(value);
}

}  // namespace

int runEvaluateSuite(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx evaluate",
      "The whole evaluation of a model's counterfactuals (method.md section 5) on one data set:\n"
      "effectiveness (independent evaluation segmentor for areas, predictors for the rest, every\n"
      "variable scored), composition (1 and 10 null cycles), reversibility, locality (change\n"
      "outside and inside the intervened structure), realism (Frechet distance and KID on the\n"
      "evaluation segmentor's features: trained here, not comparable to published FID) and, on\n"
      "phantom data, the error against the true counterfactual. Writes REPORT_DIR/metrics.json\n"
      "and REPORT_DIR/report.html (self-contained, opens offline).");
  parser
      .required("model", "MODEL_DIR",
                "model folder (scm, hvae, segmentor, eval_segmentor, predictors)")
      .required("data", "DIR", "data set at the model's image size (a phantom adds ground truth)")
      .required("out", "REPORT_DIR", "where metrics.json and report.html go")
      .option("interventions", "N", "number of interventions (the same sample for the same seed)",
              "300")
      .option("seed", "S", "seed of the intervention sample", "1")
      .option("split", "NAME", "split to draw subjects from (all for a data set of its own seed)",
              "test")
      .option("cycles", "K", "interventions that also get the 10-cycle composition", "30")
      .option("grid", "G", "examples shown as images in the report", "8");
  declareRuntimeOptions(parser);
  if (!parser.parse(arguments)) return 0;
  EngineOptions options;
  options.device = applyRuntimeOptions(parser);
  const std::string modelDir = parser.get("model"), dataDir = parser.get("data");
  const fs::path outDir = parser.get("out");
  auto engine = CounterfactualEngine::load(modelDir, options);
  Segmentor evaluator = loadSegmentor(modelDir, "eval_segmentor");
  evaluator->to(options.device);
  Predictor predictor = loadPredictor(modelDir);
  predictor->to(options.device);
  const CausalGraph& graph = engine->graph();
  const io::Manifest manifest = io::readManifest(dataDir + "/manifest.csv", graph);
  const ImageSet set =
      loadImageSet(manifest, graph, parser.get("split"), int(engine->imageSize()), false);
  if (set.images.size(0) == 0)
    throw ValidationError(dataDir, "split " + parser.get("split"), "has no subjects");
  std::optional<PhantomDataset> phantom;
  if (fs::exists(fs::path(dataDir) / "exogenous.bin")) phantom = loadPhantomDataset(dataDir);
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
    m.labels = evaluator->labelMaps(probabilities).cpu()[0];
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

  const int64_t count = parser.getInteger("interventions", 1, 1'000'000);
  const int64_t cycles = parser.getInteger("cycles", 0, 1'000'000);
  const int64_t gridSize = parser.getInteger("grid", 0, 100);
  const int64_t seed = parser.getInteger("seed", 0, 1L << 40);
  const auto quantised = quantise(set.images);
  const auto plan = planInterventions(graph, set.attributes, count, std::uint64_t(seed));
  std::map<std::string, PerIntervened> results;
  Mean composition1, composition10;
  std::vector<torch::Tensor> realFeatures, counterfactualFeatures;
  std::vector<RgbImage> gridRows;
  std::vector<std::string> gridCaptions;
  std::map<std::string, int> shownPerVariable;
  ConsoleProgress progress(std::cerr, "evaluate", long(count), stderrIsTerminal());
  for (int64_t i = 0; i < count; ++i) {
    if (interruptRequested().load()) return 130;
    const Planned& p = plan[size_t(i)];
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
        r.inputRelativeError.add(relativeError(before.values.at(variable), target));
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
        int64_t(gridRows.size()) < gridSize) {
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
      report::caption(tiles[1], tileLabel(variable) + " " + format(observed.at(variable), "%.1f") +
                                    " -> " + format(p.target, "%.1f"));
      report::caption(tiles[2], "difference");
      if (!truth.empty()) {
        tiles.push_back(report::toRgb(truth, kTileZoom));
        report::caption(tiles.back(), "true counterfactual");
        tiles.push_back(differenceTile(truth, true));
        report::caption(tiles.back(), "true difference");
      }
      gridRows.push_back(report::row(tiles, 4, {255, 255, 255}));
      // The tiles' own labels must stay short; the figure caption says everything in words.
      const Variable& v = graph.variable(variable);
      const std::string unit = v.unit.empty() ? "" : " " + v.unit;
      gridCaptions.push_back(
          "Subject " + set.ids[size_t(p.subject)] + ": do(" + variable + " = " +
          format(p.target, "%.2f") + unit + ") from " + format(observed.at(variable), "%.2f") +
          "; the evaluation measures " + format(after.values.at(variable), "%.2f") +
          " on the counterfactual. Columns: original, counterfactual, difference (counterfactual "
          "minus original, red where brighter)" +
          (!truth.empty() ? ", true counterfactual rendered by the phantom, its difference "
                            "from the original (same colour scale)."
                          : "."));
    }
    progress.update(long(i + 1));
  }
  progress.finish();

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
    const ImageSet quantisedSet{set.ids, quantised, {}, set.attributes};
    nelboBitsPerDim = hvaeLossOn(*mechanism.hvae, quantisedSet,
                                 mechanism.parents.encode(set.attributes, graph), options.device)
                          .bitsPerDim();
  }

  // Tables: printed, in metrics.json and in the report.
  std::vector<std::string> variableOrder;
  for (const auto& v : graph.variables()) variableOrder.push_back(v.name);
  nlohmann::json metrics = {{"model", fs::absolute(modelDir).string()},
                            {"data", fs::absolute(dataDir).string()},
                            {"split", parser.get("split")},
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
        row.push_back(format(e->second.correct.value()));
        entry["measured"][m.name] = {{"accuracy", e->second.correct.value()}};
      } else {
        row.push_back(format(e->second.absoluteError.value()));
        entry["measured"][m.name] = {{"mae", e->second.absoluteError.value()},
                                     {"mape", e->second.relativeError.value()}};
      }
    }
    const auto own = r.measured.find(v.name);
    const bool binary = v.kind == VariableKind::Binary;
    row.push_back(own == r.measured.end() || binary
                      ? "-"
                      : format(100 * own->second.relativeError.value(), "%.2f %%"));
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
      localityRows.push_back(
          {v.name, std::to_string(r.n), format(r.localityInside.value()),
           format(r.localityOutside.value()), phantom ? format(r.truthOutside.value()) : "-",
           format(r.localityOutsideAffected.value()),
           phantom ? format(r.truthOutsideAffected.value()) : "-", format(r.localityRatio.value()),
           format(r.drift.value()), format(r.reversibility.value())});
    }
    if (phantom) {
      entry["truth"] = {{"l1", r.truthL1.value()},
                        {"ssim", r.truthSsim.value()},
                        {"area_error", number(r.truthAreaError.value())},
                        {"input_to_truth_l1", r.inputToTruthL1.value()}};
      if (structureLabel(v.name)) {
        entry["truth"]["true_counterfactual_mape"] = r.truthMeasuredRelativeError.value();
        entry["truth"]["input_mape"] = r.inputRelativeError.value();
      }
      truthRows.push_back({v.name, std::to_string(r.n), format(r.truthL1.value()),
                           format(r.inputToTruthL1.value()), format(r.truthSsim.value(), "%.4f"),
                           format(r.truthAreaError.value()),
                           format(100 * r.truthMeasuredRelativeError.value(), "%.2f %%")});
    }
    metrics["by_intervention"][v.name] = entry;
  }

  const auto printTable = [](const std::vector<std::string>& header,
                             const std::vector<std::vector<std::string>>& rows) {
    // Each column as wide as its longest cell plus a gap, so long headers never run together.
    std::vector<int> widths(header.size());
    for (size_t c = 0; c < header.size(); ++c) widths[c] = int(header[c].size()) + 2;
    for (const auto& row : rows)
      for (size_t c = 0; c < row.size() && c < widths.size(); ++c)
        widths[c] = std::max(widths[c], int(row[c].size()) + 2);
    const auto printRow = [&widths](const std::vector<std::string>& cells) {
      for (size_t c = 0; c < cells.size(); ++c)
        std::printf("%-*s", c < widths.size() ? widths[c] : 0, cells[c].c_str());
      std::printf("\n");
    };
    printRow(header);
    for (const auto& row : rows) printRow(row);
    std::printf("\n");
  };
  const std::vector<std::string> localityHeader{"do(structure)",
                                                "n",
                                                "change inside R",
                                                "change outside R",
                                                "truth's change outside R",
                                                "change outside R and descendants",
                                                "truth's change outside R and descendants",
                                                "outside / inside",
                                                "drift of other areas (pp)",
                                                "reversibility L1"};
  const std::vector<std::string> truthHeader{
      "do(variable)", "n", "L1 to truth", "input to truth", "SSIM to truth", "area error (pp)",
      "MAPE of truth"};
  std::printf(
      "effectiveness: measured on the counterfactual against the SCM's counterfactual "
      "value (areas in pp by the evaluation segmentor, age in years, sex accuracy)\n");
  printTable(effectHeader, effectRows);
  std::printf("locality (L1 on 0-255; R = the structure before or after, dilated %lld px)\n",
              static_cast<long long>(kRegionDilation));
  printTable(localityHeader, localityRows);
  if (phantom) {
    std::printf("against the phantom's true counterfactual (L1 on 0-255)\n");
    printTable(truthHeader, truthRows);
  }
  std::printf("composition L1: 1 cycle %.4f, 10 cycles %s (first %lld interventions)\n",
              composition1.value(), format(composition10.value(), "%.4f").c_str(),
              static_cast<long long>(std::min(cycles, count)));
  std::printf(
      "realism on evaluation-segmentor features (not comparable to published FID): "
      "Frechet distance %.4f, KID %.5f\n",
      fd, kid);
  std::printf("image NELBO of the HVAE on these images: %.4f bits/dim\n", nelboBitsPerDim);

  report::HtmlReport html("Counterfactual evaluation: " + fs::path(modelDir).filename().string());
  html.paragraph("Model " + fs::absolute(modelDir).string() + "; data " +
                 fs::absolute(dataDir).string() + " (split " + parser.get("split") + "); " +
                 std::to_string(count) + " interventions, seed " + parser.get("seed") + ".");
  if (metrics.contains("fine_tuning"))
    html.paragraph("Fine-tuning: " + metrics["fine_tuning"].dump());
  html.heading("Effectiveness");
  html.paragraph(
      "Rows: the intervened variable. Columns: each variable measured on the "
      "counterfactual (areas by the independent evaluation segmentor, in percentage "
      "points; age in years by the predictor; sex as accuracy) against the value the "
      "SCM gives it. Non-intervened variables should not move.");
  html.table(effectHeader, effectRows);
  for (const auto& v : graph.variables()) {
    const auto it = results.find(v.name);
    if (it != results.end() && !it->second.targets.empty())
      html.svg(report::scatterPlotSvg(it->second.targets, it->second.achieved, "do(" + v.name + ")",
                                      "target area (%)", "measured area (%)"));
  }
  html.heading("Locality");
  html.paragraph(
      "Mean absolute change (0-255) inside and outside the intervened structure's "
      "region (its mask before or after the edit, dilated " +
      std::to_string(kRegionDilation) +
      " px), the change outside the region of that structure and of every structure that "
      "descends from it in the graph (the edit's causal reach: do(heart) may move the left "
      "lung's border), the same for the true counterfactual, and the drift of non-descendant "
      "structure areas (pp).");
  html.table(localityHeader, localityRows);
  html.heading("Composition, reversibility and realism");
  html.table({"measure", "value"},
             {{"composition L1, 1 null cycle", format(composition1.value(), "%.4f")},
              {"composition L1, 10 null cycles", format(composition10.value(), "%.4f")},
              {"Frechet distance (evaluation-segmentor features; not FID)", format(fd, "%.4f")},
              {"KID (evaluation-segmentor features)", format(kid, "%.5f")},
              {"image NELBO of the HVAE (bits/dim)", format(nelboBitsPerDim, "%.4f")}});
  if (phantom) {
    html.heading("Against the true counterfactual (phantom)");
    html.table(truthHeader, truthRows);
  }
  html.heading("Examples");
  for (size_t k = 0; k < gridRows.size(); ++k)
    html.image(io::encodeRgbPng(gridRows[k]), gridCaptions[k]);

  fs::create_directories(outDir);
  const std::string json = metrics.dump(2) + "\n", page = html.html();
  io::writeFileAtomically((outDir / "metrics.json").string(),
                          std::vector<unsigned char>(json.begin(), json.end()));
  io::writeFileAtomically((outDir / "report.html").string(),
                          std::vector<unsigned char>(page.begin(), page.end()));
  std::printf("wrote %s and %s\n", (outDir / "metrics.json").c_str(),
              (outDir / "report.html").c_str());
  return 0;
}

}  // namespace cfx::cli
