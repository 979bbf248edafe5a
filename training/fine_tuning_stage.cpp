#include "fine_tuning_stage.h"

#include <torch/torch.h>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "atomic_file.h"
#include "hvae_scoring.h"
#include "image_mechanism.h"
#include "model_bundle.h"
#include "text_format.h"
#include "validation_error.h"

namespace cfx::training {
namespace {

namespace fs = std::filesystem;

// The fine-tuned model starts as a copy of the pretrained one (every component but the training
// runs), so it is complete on its own; an existing copy is kept, so a resumed run reuses it.
void copyModelFolder(const fs::path& from, const fs::path& to) {
  if (fs::exists(to / "model.json")) return;
  if (!fs::exists(from / "model.json"))
    throw ValidationError(from.string(), "model.json", "not found: not a model folder");
  fs::create_directories(to);
  for (const auto& entry : fs::directory_iterator(from))
    if (entry.is_regular_file()) fs::copy_file(entry.path(), to / entry.path().filename());
}

// The constraint's epsilon: the pretrained HVAE's mean NELBO on the training split, measured
// once per run and kept in the run folder so that a resumed run uses the same value.
double measuredEpsilon(HvaeImpl& hvae, const data::ImageSet& train, const torch::Tensor& parents,
                       const Stage& stage, const fs::path& runDir, WorkMonitor& monitor) {
  const fs::path file = runDir / "epsilon.json";
  if (fs::exists(file)) {
    try {
      return nlohmann::json::parse(std::ifstream(file)).at("epsilon_nats_per_dim").get<double>();
    } catch (const nlohmann::json::exception& e) {
      throw ValidationError(file.string(), "epsilon_nats_per_dim",
                            std::string("expected a number: ") + e.what());
    }
  }
  monitor.note("measuring the pretrained NELBO on the training split (" +
               std::to_string(train.images.size(0)) + " images)");
  hvae.eval();
  const double epsilon = hvaeLossOn(hvae, train.images, parents, stage.device).nelbo.item<double>();
  hvae.train();
  fs::create_directories(runDir);
  const std::string text =
      nlohmann::json{{"epsilon_nats_per_dim", epsilon}, {"images", train.images.size(0)}}.dump(2);
  io::writeFileAtomically(file.string(), std::vector<unsigned char>(text.begin(), text.end()));
  return epsilon;
}

// Pos-Seg-CFT's grid regions: the frozen segmentor's cell areas on every training image,
// regressed on the images' parents. Deterministic, so a resumed run fits the same mechanism.
RegionalMechanism fittedRegionalMechanism(SegmentorImpl& segmentor, const data::ImageSet& train,
                                          int64_t grid, torch::Device device,
                                          WorkMonitor& monitor) {
  torch::NoGradGuard noGrad;
  segmentor.eval();
  segmentor.to(device);
  std::vector<torch::Tensor> cells;
  const int64_t n = train.images.size(0), batch = 32;
  for (int64_t i = 0; i < n; i += batch)
    cells.push_back(
        gridAreas(segmentor.probabilities(train.images.slice(0, i, i + batch).to(device)), grid)
            .cpu());
  const auto mechanism = RegionalMechanism::fit(torch::cat(cells), train.attributes, grid);
  std::string line = formatText(
      "regional mechanism (%lld x %lld cells, %lld training images), "
      "R^2 per structure:",
      static_cast<long long>(grid), static_cast<long long>(grid), static_cast<long long>(n));
  for (double r2 : mechanism.explainedVariance) line += formatText(" %.3f", r2);
  monitor.note(line);
  return mechanism;
}

}  // namespace

StageResult fineTune(const FineTuningOptions& options, WorkMonitor& monitor) {
  Stage stage = prepareStage(options.stage, monitor);
  stage.options.emaDecay = 0.99;  // fine-tuning is short: a long EMA would lag behind it
  // The damped Lagrangian scales the NELBO's gradient by up to d * c: large norms are expected,
  // only non-finite ones are skipped. A long warm-up keeps Adam's first, sign-like steps small.
  stage.options.skipGradNorm = 1e9;
  stage.options.clipGradNorm = 100;
  stage.options.warmupSteps = std::min<int64_t>(200, stage.options.steps / 5 + 1);
  stage.options.weightDecay = 0;
  CftConfig config = options.config;
  checkRegionGrid(options.regionGrid, stage.size, "cfx train cft", "--region-grid");

  const std::string& pretrained = options.pretrainedDir;
  const std::string& out = options.outDir;
  if (fs::exists(out) && fs::equivalent(pretrained, out))
    throw ValidationError("cfx train cft", "--out", "must differ from --model (never modified)");
  // The runs the starting weights descend from, stored with the new ones.
  const nlohmann::json startedFrom = ModelBundle::lineage(pretrained, "hvae");
  ImageMechanism mechanism = loadImageMechanism(pretrained);
  if (mechanism.size != stage.size)
    throw ValidationError(stage.dataDir, "size",
                          "images are " + std::to_string(stage.size) + " px, the HVAE's " +
                              std::to_string(mechanism.size) + " px");
  CftModels models{loadScalarScm(pretrained), mechanism.hvae, mechanism.parents, nullptr, nullptr};
  if (config.guidance != Guidance::None) models.predictor = loadPredictor(pretrained);
  if (config.guidance == Guidance::Segmentor || config.guidance == Guidance::PositionalSegmentor)
    models.segmentor = loadSegmentor(pretrained, "segmentor");
  Hvae hvae = mechanism.hvae;
  hvae->to(stage.device);

  data::ImageSet trainSet = loadSplit(stage, "train", false, monitor);
  data::ImageSet valSet = loadSplit(stage, "val", false, monitor);
  imputeUnknownAttributes(stage, trainSet, "train", pretrained, monitor);
  imputeUnknownAttributes(stage, valSet, "val", pretrained, monitor);
  const auto trainImages = quantise(trainSet.images);
  const data::ImageSet trainQuantised{trainSet.ids, trainImages, {}, trainSet.attributes};
  const auto valImages = quantise(valSet.images);
  const auto trainParents = mechanism.parents.encode(trainSet.attributes, stage.graph);
  const auto valParents = mechanism.parents.encode(valSet.attributes, stage.graph);

  copyModelFolder(pretrained, out);
  const fs::path runDir =
      fs::path(out) / "runs" /
      ("cft-" + guidanceName(config.guidance) + (config.localityWeight > 0 ? "-locality" : ""));
  config.epsilon = measuredEpsilon(*hvae, trainQuantised, trainParents, stage, runDir, monitor);
  monitor.note(formatText("epsilon (pretrained train NELBO): %g nats/dim = %g bits/dim",
                          config.epsilon, config.epsilon / std::log(2.0)));
  if (config.guidance == Guidance::PositionalSegmentor && config.regionLayout == "grid")
    config.regional = fittedRegionalMechanism(*models.segmentor, trainQuantised, options.regionGrid,
                                              stage.device, monitor);
  CounterfactualFineTuning tuning(config, models, stage.device);

  TrainingHooks hooks;
  hooks.state["lambda"] = tuning.lambdaState();
  hooks.step = [&](int64_t, at::Generator& g) {
    const auto index = torch::randint(trainImages.size(0), {stage.batch}, g, torch::kInt64);
    return tuning.step(trainImages.index_select(0, index).to(stage.device),
                       trainSet.attributes.index_select(0, index), g);
  };
  hooks.validate = [&] {
    const auto l = hvaeLossOn(*hvae, valImages, valParents, stage.device);
    hvae->train();
    return std::map<std::string, double>{{"val_bits_per_dim", l.bitsPerDim()},
                                         {"lambda", tuning.lambda()}};
  };
  StageResult result;
  const auto start = std::chrono::steady_clock::now();
  if (!runTraining(*hvae, stage, hooks, runDir.string(),
                   "train cft " + guidanceName(config.guidance), monitor))
    return result;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const auto val = hvaeLossOn(*hvae, valImages, valParents, stage.device);
  nlohmann::json scores = {{"val_bits_per_dim", val.bitsPerDim()}};
  result.report = formatText("fine-tuned (%s): val NELBO %.4f bits/dim",
                             guidanceName(config.guidance).c_str(), val.bitsPerDim());
  if (!stage.manifest.split("test").empty()) {
    data::ImageSet testSet = loadSplit(stage, "test", false, monitor);
    imputeUnknownAttributes(stage, testSet, "test", pretrained, monitor);
    const auto test =
        hvaeLossOn(*hvae, quantise(testSet.images),
                   mechanism.parents.encode(testSet.attributes, stage.graph), stage.device);
    result.report += formatText(", test NELBO %.4f bits/dim", test.bitsPerDim());
    scores["test_bits_per_dim"] = test.bitsPerDim();
    scores["test_nelbo_nats_per_dim"] = test.nelbo.item<double>();
  }
  result.report += formatText(" (epsilon %.4f bits/dim), lambda %.4g\n",
                              config.epsilon / std::log(2.0), tuning.lambda());
  nlohmann::json componentConfig =
      imageMechanismConfig(hvae->config(), mechanism.parents, mechanism.size);
  componentConfig["fine_tuning"] = config.toJson();
  componentConfig["fine_tuning"]["final_lambda"] = tuning.lambda();
  saveStage(out, "hvae", componentConfig, *hvae, stage, result.seconds, scores,
            {{"started_from", startedFrom}});
  result.report +=
      formatText("saved the fine-tuned model to %s (%.0f s)\n", out.c_str(), result.seconds);
  result.completed = true;
  return result;
}

}  // namespace cfx::training
