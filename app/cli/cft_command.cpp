#include "cft_command.h"

#include <torch/torch.h>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "argument_parser.h"
#include "atomic_file.h"
#include "counterfactual_fine_tuning.h"
#include "image_mechanism.h"
#include "model_bundle.h"
#include "training_stage.h"
#include "validation_error.h"

namespace cfx::cli {
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
double measuredEpsilon(HvaeImpl& hvae, const ImageSet& train, const torch::Tensor& parents,
                       const Stage& stage, const fs::path& runDir) {
  const fs::path file = runDir / "epsilon.json";
  if (fs::exists(file)) {
    try {
      return nlohmann::json::parse(std::ifstream(file)).at("epsilon_nats_per_dim").get<double>();
    } catch (const nlohmann::json::exception& e) {
      throw ValidationError(file.string(), "epsilon_nats_per_dim",
                            std::string("expected a number: ") + e.what());
    }
  }
  std::cerr << "measuring the pretrained NELBO on the training split (" << train.images.size(0)
            << " images)\n";
  hvae.eval();
  const double epsilon = hvaeLossOn(hvae, train, parents, stage.device).nelbo.item<double>();
  hvae.train();
  fs::create_directories(runDir);
  const std::string text =
      nlohmann::json{{"epsilon_nats_per_dim", epsilon}, {"images", train.images.size(0)}}.dump(2);
  io::writeFileAtomically(file.string(), std::vector<unsigned char>(text.begin(), text.end()));
  return epsilon;
}

// Pos-Seg-CFT's grid regions: the frozen segmentor's cell areas on every training image,
// regressed on the images' parents. Deterministic, so a resumed run fits the same mechanism.
RegionalMechanism fittedRegionalMechanism(SegmentorImpl& segmentor, const ImageSet& train,
                                          int64_t grid, torch::Device device) {
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
  std::cerr << "regional mechanism (" << grid << " x " << grid << " cells, " << n
            << " training images), R^2 per structure:";
  for (double r2 : mechanism.explainedVariance) std::fprintf(stderr, " %.3f", r2);
  std::cerr << "\n";
  return mechanism;
}

}  // namespace

int runTrainCft(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx train cft",
      "Counterfactual fine-tuning of the HVAE (method.md section 4): per batch element one\n"
      "intervention (a variable chosen uniformly; continuous values from another element of the\n"
      "batch or a relative change, binary ones flipped), its parents propagated by the frozen\n"
      "SCM, the counterfactual generated with gradients through the HVAE and checked by the\n"
      "guidance, while a Lagrange multiplier keeps the NELBO near the pretrained model's\n"
      "(epsilon, measured here).\n"
      "  none     the constraint alone (a control for the extra training)\n"
      "  reg      Reg-CFT: the anti-causal predictors for every variable\n"
      "  seg      Seg-CFT: segmentor areas for structures, predictors for age and sex\n"
      "  pos-seg  Seg-CFT plus the areas of each structure's regions (--region-layout)");
  declareStageOptions(parser, "1000", "8", "1e-4");
  parser
      .required("model", "MODEL_DIR", "pretrained model folder (scm, hvae, segmentor, predictors)")
      .required("guidance", "KIND", "none, reg, seg or pos-seg")
      .required("out", "MODEL_DIR2", "the fine-tuned model folder (a copy with a new hvae)")
      .option("damping", "D", "damping of the Lagrangian", "100")
      .option("lagrange-lr", "RATE", "learning rate of the multiplier's gradient ascent", "0.01")
      .option("soft-labels", "on|off", "soft targets for non-intervened subject variables", "on")
      .option("area-loss", "l1|l2", "error of the normalised areas", "l1")
      .option("region-weight", "W", "pos-seg: weight of the regional terms", "1")
      .option("region-layout", "bands|grid",
              "pos-seg: regions as cranio-caudal bands of each structure's own extent (their "
              "shares kept), or as cells fixed in the image whose areas follow a linear "
              "mechanism fitted here on the training images (an extension)",
              "bands")
      .option("region-grid", "N", "with --region-layout grid: N x N cells (N divides the size)",
              "8")
      .option("locality-weight", "W",
              "extension beyond the paper, seg and pos-seg: weight of the mean change (grey "
              "levels) outside the affected structures' segmentor masks under structure "
              "interventions (0: off, the paper's method)",
              "0")
      .option("locality-region", "structure|boundary",
              "with --locality-weight: where a structure intervention may change pixels, "
              "anywhere inside the affected structures or only near their borders and where "
              "their class changed",
              "structure")
      .option("locality-dilation", "PX",
              "with --locality-weight: how many pixels the region a structure intervention may "
              "change grows by (an edge's blur reaches a few pixels beyond it)",
              "3")
      .option("locality-interior-weight", "F",
              "with --locality-region boundary: charge for changing an affected structure's own "
              "tissue away from its border, relative to change outside every affected structure",
              "1")
      .option("intervention-values", "batch|relative",
              "continuous interventions: another batch element's value, or a change of the "
              "observed value (structures scale, other variables move by a share of their range)",
              "batch")
      .option("relative-change", "MIN:MAX",
              "with --intervention-values relative: the size of the change, drawn uniformly, "
              "either sign",
              "0.1:0.3");
  if (!parser.parse(arguments)) return 0;
  Stage stage = prepareStage(parser);
  stage.options.emaDecay = 0.99;  // fine-tuning is short: a long EMA would lag behind it
  // The damped Lagrangian scales the NELBO's gradient by up to d * c: large norms are expected,
  // only non-finite ones are skipped. A long warm-up keeps Adam's first, sign-like steps small.
  stage.options.skipGradNorm = 1e9;
  stage.options.clipGradNorm = 100;
  stage.options.warmupSteps = std::min<int64_t>(200, stage.options.steps / 5 + 1);
  stage.options.weightDecay = 0;

  CftConfig config;
  config.guidance = parseGuidance(parser.get("guidance"), "--guidance");
  config.damping = parser.getNumber("damping");
  config.lagrangeLearningRate = parser.getNumber("lagrange-lr");
  config.regionWeight = parser.getNumber("region-weight");
  config.regionLayout = parser.get("region-layout");
  checkRegionLayout(config.regionLayout, "cfx train cft", "--region-layout");
  if (config.regionLayout == "grid" && config.guidance != Guidance::PositionalSegmentor)
    throw ValidationError("cfx train cft", "--region-layout",
                          "regions are Pos-Seg-CFT's: use grid with --guidance pos-seg");
  const int64_t regionGrid = parser.getInteger("region-grid", 1, 64);
  checkRegionGrid(regionGrid, stage.size, "cfx train cft", "--region-grid");
  config.localityWeight = parser.getNumber("locality-weight");
  config.localityRegion = parser.get("locality-region");
  config.localityDilation = parser.getInteger("locality-dilation", 0, 32);
  config.localityInteriorWeight = parser.getNumber("locality-interior-weight");
  if (!(config.localityInteriorWeight >= 0))
    throw ValidationError("cfx train cft", "--locality-interior-weight",
                          "expected a non-negative number");
  checkLocalityRegion(config.localityRegion, "cfx train cft", "--locality-region");
  config.interventionValues = parser.get("intervention-values");
  checkInterventionValues(config.interventionValues, "cfx train cft", "--intervention-values");
  const std::string change = parser.get("relative-change");
  const auto colon = change.find(':');
  const auto min =
      colon == std::string::npos ? std::nullopt : parseFiniteNumber(change.substr(0, colon));
  const auto max =
      colon == std::string::npos ? std::nullopt : parseFiniteNumber(change.substr(colon + 1));
  if (!min || !max)
    throw ValidationError("cfx train cft", "--relative-change",
                          "expected MIN:MAX, two numbers such as 0.1:0.3, got '" + change + "'");
  config.relativeChangeMin = *min;
  config.relativeChangeMax = *max;
  checkRelativeChange(config.relativeChangeMin, config.relativeChangeMax, "cfx train cft",
                      "--relative-change");
  if (config.localityWeight > 0 && config.guidance != Guidance::Segmentor &&
      config.guidance != Guidance::PositionalSegmentor)
    throw ValidationError("cfx train cft", "--locality-weight",
                          "needs a segmentor: use it with --guidance seg or pos-seg");
  const std::string soft = parser.get("soft-labels"), areaLoss = parser.get("area-loss");
  if (soft != "on" && soft != "off")
    throw ValidationError("cfx train cft", "--soft-labels", "expected on or off");
  if (areaLoss != "l1" && areaLoss != "l2")
    throw ValidationError("cfx train cft", "--area-loss", "expected l1 or l2");
  config.softLabels = soft == "on";
  config.squaredAreaLoss = areaLoss == "l2";

  const std::string pretrained = parser.get("model"), out = parser.get("out");
  if (fs::exists(out) && fs::equivalent(pretrained, out))
    throw ValidationError("cfx train cft", "--out", "must differ from --model (never modified)");
  ImageMechanism mechanism = loadImageMechanism(pretrained);
  if (mechanism.size != stage.size)
    throw ValidationError(parser.get("data"), "size",
                          "images are " + std::to_string(stage.size) + " px, the HVAE's " +
                              std::to_string(mechanism.size) + " px");
  CftModels models{loadScalarScm(pretrained), mechanism.hvae, mechanism.parents, nullptr, nullptr};
  if (config.guidance != Guidance::None) models.predictor = loadPredictor(pretrained);
  if (config.guidance == Guidance::Segmentor || config.guidance == Guidance::PositionalSegmentor)
    models.segmentor = loadSegmentor(pretrained, "segmentor");
  Hvae hvae = mechanism.hvae;
  hvae->to(stage.device);

  const ImageSet trainSet = loadSplit(stage, "train", false);
  const ImageSet valSet = loadSplit(stage, "val", false);
  const auto trainImages = quantise(trainSet.images);
  const ImageSet trainQuantised{trainSet.ids, trainImages, {}, trainSet.attributes};
  const ImageSet valQuantised{valSet.ids, quantise(valSet.images), {}, valSet.attributes};
  const auto trainParents = mechanism.parents.encode(trainSet.attributes, stage.graph);
  const auto valParents = mechanism.parents.encode(valSet.attributes, stage.graph);

  copyModelFolder(pretrained, out);
  const fs::path runDir =
      fs::path(out) / "runs" /
      ("cft-" + guidanceName(config.guidance) + (config.localityWeight > 0 ? "-locality" : ""));
  config.epsilon = measuredEpsilon(*hvae, trainQuantised, trainParents, stage, runDir);
  std::cerr << "epsilon (pretrained train NELBO): " << config.epsilon
            << " nats/dim = " << config.epsilon / std::log(2.0) << " bits/dim\n";
  if (config.guidance == Guidance::PositionalSegmentor && config.regionLayout == "grid")
    config.regional =
        fittedRegionalMechanism(*models.segmentor, trainQuantised, regionGrid, stage.device);
  CounterfactualFineTuning tuning(config, models, stage.device);

  TrainingHooks hooks;
  hooks.state["lambda"] = tuning.lambdaState();
  hooks.step = [&](int64_t, at::Generator& g) {
    const auto index = torch::randint(trainImages.size(0), {stage.batch}, g, torch::kInt64);
    return tuning.step(trainImages.index_select(0, index).to(stage.device),
                       trainSet.attributes.index_select(0, index), g);
  };
  hooks.validate = [&] {
    const auto l = hvaeLossOn(*hvae, valQuantised, valParents, stage.device);
    hvae->train();
    return std::map<std::string, double>{{"val_bits_per_dim", l.bitsPerDim()},
                                         {"lambda", tuning.lambda()}};
  };
  const auto start = std::chrono::steady_clock::now();
  if (!runTraining(*hvae, stage, hooks, runDir.string(),
                   ("train cft " + guidanceName(config.guidance)).c_str()))
    return 130;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const ImageSet testSet = loadSplit(stage, "test", false);
  const ImageSet testQuantised{testSet.ids, quantise(testSet.images), {}, testSet.attributes};
  const auto test =
      hvaeLossOn(*hvae, testQuantised, mechanism.parents.encode(testSet.attributes, stage.graph),
                 stage.device);
  const auto val = hvaeLossOn(*hvae, valQuantised, valParents, stage.device);
  std::printf(
      "fine-tuned (%s): val NELBO %.4f bits/dim, test NELBO %.4f bits/dim "
      "(epsilon %.4f bits/dim), lambda %.4g\n",
      guidanceName(config.guidance).c_str(), val.bitsPerDim(), test.bitsPerDim(),
      config.epsilon / std::log(2.0), tuning.lambda());
  nlohmann::json componentConfig =
      imageMechanismConfig(hvae->config(), mechanism.parents, mechanism.size);
  componentConfig["fine_tuning"] = config.toJson();
  componentConfig["fine_tuning"]["final_lambda"] = tuning.lambda();
  saveStage(out, "hvae", componentConfig, *hvae, stage, parser,
            commandLine("cfx train cft", arguments), seconds,
            {{"val_bits_per_dim", val.bitsPerDim()},
             {"test_bits_per_dim", test.bitsPerDim()},
             {"test_nelbo_nats_per_dim", test.nelbo.item<double>()}});
  std::printf("saved the fine-tuned model to %s (%.0f s)\n", out.c_str(), seconds);
  return 0;
}

}  // namespace cfx::cli
