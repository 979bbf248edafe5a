#include "network_commands.h"

#include <torch/torch.h>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "argument_parser.h"
#include "augmentation.h"
#include "console_progress.h"
#include "dataset_tensors.h"
#include "device.h"
#include "hvae.h"
#include "image_mechanism.h"
#include "image_set.h"
#include "interrupt.h"
#include "model_bundle.h"
#include "parent_encoding.h"
#include "predictor.h"
#include "runtime_options.h"
#include "segmentor.h"
#include "trainer.h"
#include "training_stage.h"
#include "validation_error.h"

namespace cfx::cli {
namespace {

std::vector<SegmentedStructure> structuresOf(const CausalGraph& graph) {
  std::vector<SegmentedStructure> structures;
  for (const auto& v : graph.variables())
    if (v.maskLabel) structures.push_back({v.name, *v.maskLabel});
  if (structures.empty())
    throw ValidationError("graph", "variables", "no variable has a mask_label: nothing to segment");
  return structures;
}

struct SegmentationScores {
  std::vector<double> dice, softAreaMae, hardAreaMae;  // per structure
  // Mean signed soft-area error (pp): guidance judges areas with these soft areas, so a segmentor
  // that reads a structure consistently large or small shifts every counterfactual it guides.
  std::vector<double> softAreaBias;
};

// Hard-mask Dice against the label maps, and soft-area MAE and bias (percentage points) against
// the data set's stored area variables.
SegmentationScores scoreSegmentor(SegmentorImpl& segmentor, const ImageSet& set,
                                  const CausalGraph& graph, const torch::Device& device) {
  torch::NoGradGuard noGrad;
  segmentor.eval();
  const auto& structures = segmentor.config().structures;
  const size_t s = structures.size();
  std::vector<double> dice(s, 0.0), soft(s, 0.0), hard(s, 0.0), bias(s, 0.0);
  const int64_t n = set.images.size(0);
  for (int64_t start = 0; start < n; start += kEvaluationBatch) {
    const int64_t end = std::min(n, start + kEvaluationBatch);
    const auto probabilities =
        segmentor.probabilities(set.images.slice(0, start, end).to(device)).cpu();
    const auto predicted = segmentor.labelMaps(probabilities);
    const auto truth = set.labels.slice(0, start, end);
    const auto areas = SegmentorImpl::softAreas(probabilities);
    for (size_t k = 0; k < s; ++k) {
      const auto p = predicted == structures[k].label, t = truth == structures[k].label;
      const auto intersection = (p & t).sum({1, 2}).to(torch::kFloat64);
      const auto total = (p.sum({1, 2}) + t.sum({1, 2})).to(torch::kFloat64);
      dice[k] += (2 * intersection / total.clamp_min(1)).sum().item<double>();
      const auto wanted = set.attributes.slice(0, start, end)
                              .select(1, int64_t(*graph.indexOf(structures[k].variable)));
      const auto softError = areas.select(1, int64_t(k)) - wanted;
      soft[k] += softError.abs().sum().item<double>();
      bias[k] += softError.sum().item<double>();
      const auto hardArea = 100.0 * p.to(torch::kFloat32).mean({1, 2});
      hard[k] += (hardArea - wanted).abs().sum().item<double>();
    }
  }
  for (size_t k = 0; k < s; ++k)
    dice[k] /= double(n), soft[k] /= double(n), hard[k] /= double(n), bias[k] /= double(n);
  return {dice, soft, hard, bias};
}

nlohmann::json printSegmentationScores(const SegmentorImpl& segmentor,
                                       const SegmentationScores& scores, int64_t n,
                                       const std::string& split) {
  std::printf("segmentation on %lld %s images\n%-18s %8s %16s %16s %16s\n",
              static_cast<long long>(n), split.c_str(), "structure", "Dice", "soft-area MAE",
              "soft-area bias", "hard-area MAE");
  nlohmann::json json = nlohmann::json::object();
  for (size_t k = 0; k < scores.dice.size(); ++k) {
    const auto& name = segmentor.config().structures[k].variable;
    std::printf("%-18s %8.4f %13.3f pp %+13.3f pp %13.3f pp\n", name.c_str(), scores.dice[k],
                scores.softAreaMae[k], scores.softAreaBias[k], scores.hardAreaMae[k]);
    json[name] = {{"dice", scores.dice[k]},
                  {"soft_area_mae", scores.softAreaMae[k]},
                  {"soft_area_bias", scores.softAreaBias[k]},
                  {"hard_area_mae", scores.hardAreaMae[k]}};
  }
  return json;
}

struct PredictionScores {
  std::vector<std::string> names;
  std::vector<double> values;  // MAE (continuous) or ROC AUC (binary)
  std::vector<bool> binary;
};

PredictionScores scorePredictor(PredictorImpl& predictor, const ImageSet& set,
                                const CausalGraph& graph, const torch::Device& device) {
  torch::NoGradGuard noGrad;
  predictor.eval();
  std::vector<torch::Tensor> outputs;
  for (int64_t start = 0; start < set.images.size(0); start += kEvaluationBatch)
    outputs.push_back(
        predictor
            .predict(
                set.images.slice(0, start, std::min(set.images.size(0), start + kEvaluationBatch))
                    .to(device))
            .cpu());
  const auto predicted = torch::cat(outputs, 0);
  PredictionScores scores;
  const auto& targets = predictor.config().targets;
  for (size_t t = 0; t < targets.size(); ++t) {
    const auto truth = set.attributes.select(1, int64_t(*graph.indexOf(targets[t].name)));
    const auto p = predicted.select(1, int64_t(t));
    scores.names.push_back(targets[t].name);
    scores.binary.push_back(targets[t].binary);
    scores.values.push_back(targets[t].binary ? rocAuc(p, truth)
                                              : (p - truth).abs().mean().item<double>());
  }
  return scores;
}

nlohmann::json printPredictionScores(const PredictionScores& scores, int64_t n,
                                     const std::string& split) {
  std::printf("anti-causal predictors on %lld %s images\n%-18s %12s\n", static_cast<long long>(n),
              split.c_str(), "variable", "score");
  nlohmann::json json = nlohmann::json::object();
  for (size_t t = 0; t < scores.names.size(); ++t) {
    std::printf("%-18s %12.4f  %s\n", scores.names[t].c_str(), scores.values[t],
                scores.binary[t] ? "ROC AUC" : "MAE");
    json[scores.names[t]] = {{scores.binary[t] ? "auc" : "mae", scores.values[t]}};
  }
  return json;
}

}  // namespace

int runTrainSegmentor(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx train segmentor",
      "Train the U-Net that segments every structure of the graph (variables with a mask_label)\n"
      "with Dice plus cross-entropy and small affine and intensity augmentation. Train the\n"
      "independent evaluation segmentor with --component eval_segmentor, another --width and "
      "--seed.");
  declareStageOptions(parser, "3000", "16", "2e-3");
  parser.required("out", "MODEL_DIR", "model folder; the segmentor is added to its model.json")
      .option("component", "NAME", "name in the model folder", "segmentor")
      .option("width", "C", "U-Net channels at full resolution", "16")
      .option("depth", "L", "U-Net resolution levels", "4")
      .option("bands", "B", "positional regions per structure (Pos-Seg-CFT)", "3");
  if (!parser.parse(arguments)) return 0;
  Stage stage = prepareStage(parser);
  SegmentorConfig config;
  config.structures = structuresOf(stage.graph);
  config.size = stage.size;
  config.regionBands = parser.getInteger("bands", 1, 16);
  config.unet.classes = int64_t(config.structures.size()) + 1;
  config.unet.width = parser.getInteger("width", 1, 512);
  config.unet.depth = parser.getInteger("depth", 1, 8);
  if (stage.size % (1 << (config.unet.depth - 1)) != 0)
    throw ValidationError("cfx train segmentor", "--size", "must be divisible by 2^(depth-1)");
  Segmentor segmentor(config);
  segmentor->to(stage.device);
  const ImageSet trainSet = loadSplit(stage, "train", true), valSet = loadSplit(stage, "val", true);
  const auto trainClasses = segmentor->classIndices(trainSet.labels);
  const ImageSet valSubset{{},
                           valSet.images.slice(0, 0, 64),
                           valSet.labels.slice(0, 0, 64),
                           valSet.attributes.slice(0, 0, 64)};

  TrainingHooks hooks;
  hooks.step = [&](int64_t, at::Generator& g) {
    const auto index = torch::randint(trainSet.images.size(0), {stage.batch}, g, torch::kInt64);
    const auto [images, classes] =
        augment(trainSet.images.index_select(0, index).to(stage.device),
                trainClasses.index_select(0, index).to(stage.device), AugmentationOptions{}, g);
    const auto logits = segmentor->logits(images);
    const auto crossEntropy = torch::cross_entropy_loss(logits, classes);
    const auto dice = softDice(torch::softmax(logits, 1), classes);
    return StepResult{
        crossEntropy + (1 - dice),
        {{"cross_entropy", crossEntropy.item<double>()}, {"soft_dice", dice.item<double>()}}};
  };
  hooks.validate = [&] {
    const auto scores = scoreSegmentor(*segmentor, valSubset, stage.graph, stage.device);
    segmentor->train();
    double mean = 0.0;
    for (double d : scores.dice) mean += d / double(scores.dice.size());
    return std::map<std::string, double>{{"val_dice", mean}};
  };
  const std::string modelDir = parser.get("out"), component = parser.get("component");
  const auto start = std::chrono::steady_clock::now();
  if (!runTraining(*segmentor, stage, hooks, modelDir + "/runs/" + component, "train segmentor"))
    return 130;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto json = printSegmentationScores(
      *segmentor, scoreSegmentor(*segmentor, valSet, stage.graph, stage.device),
      valSet.images.size(0), "val");
  saveStage(modelDir, component, config.toJson(), *segmentor, stage, parser,
            commandLine("cfx train segmentor", arguments), seconds, json);
  std::printf("saved %s to %s/model.json (%.0f s)\n", component.c_str(), modelDir.c_str(), seconds);
  return 0;
}

int runEvaluateSegmentor(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx evaluate segmentor",
      "Dice per structure (hard masks against the label maps), soft-area MAE and bias (mean\n"
      "signed error) against the manifest's area variables, in percentage points of the image,\n"
      "on one split.");
  parser.required("model", "MODEL_DIR", "model folder")
      .required("data", "DIR", "data set folder")
      .option("component", "NAME", "segmentor to evaluate", "segmentor")
      .option("split", "NAME", "train, val, test or all", "test")
      .option("threads", "T", "CPU threads",
              std::to_string(std::max(1u, std::thread::hardware_concurrency())));
  if (!parser.parse(arguments)) return 0;
  torch::set_num_threads(int(parser.getInteger("threads", 1, 256)));
  Segmentor segmentor = loadSegmentor(parser.get("model"), parser.get("component"));
  const CausalGraph graph = loadGraphFile(parser.get("data") + "/graph.json");
  const io::Manifest manifest = io::readManifest(parser.get("data") + "/manifest.csv", graph);
  const ImageSet set =
      loadImageSet(manifest, graph, parser.get("split"), int(segmentor->config().size), true);
  printSegmentationScores(*segmentor, scoreSegmentor(*segmentor, set, graph, torch::kCPU),
                          set.images.size(0), parser.get("split"));
  return 0;
}

int runTrainPredictors(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx train predictors",
      "Train the anti-causal CNN that reads every graph variable off the image: regression for\n"
      "continuous variables (age, areas), classification for binary ones (sex). Augmentation is\n"
      "intensity only plus tiny shifts, since zoom would change the areas it must predict.");
  declareStageOptions(parser, "3000", "32", "2e-3");
  parser.required("out", "MODEL_DIR", "model folder; the predictors are added to its model.json")
      .option("width", "C", "channels of the first block", "16")
      .option("depth", "L", "blocks (each but the last halves the resolution)", "5");
  if (!parser.parse(arguments)) return 0;
  Stage stage = prepareStage(parser);
  const ImageSet trainSet = loadSplit(stage, "train", false),
                 valSet = loadSplit(stage, "val", false);
  PredictorConfig config;
  config.size = stage.size;
  config.width = parser.getInteger("width", 1, 512);
  config.depth = parser.getInteger("depth", 1, 8);
  for (size_t v = 0; v < stage.graph.variables().size(); ++v) {
    const Variable& variable = stage.graph.variables()[v];
    const auto column = trainSet.attributes.select(1, int64_t(v)).to(torch::kFloat64);
    if (variable.kind == VariableKind::Categorical) continue;  // not supported by this head
    config.targets.push_back({variable.name, variable.kind == VariableKind::Binary,
                              column.mean().item<double>(),
                              std::max(column.std().item<double>(), 1e-6)});
  }
  Predictor predictor(config);
  predictor->to(stage.device);
  std::vector<int64_t> columns;
  for (const auto& t : config.targets) columns.push_back(int64_t(*stage.graph.indexOf(t.name)));
  const auto targetIndex = torch::tensor(columns, torch::kInt64);
  const auto trainTargets = trainSet.attributes.index_select(1, targetIndex);
  const auto valTargets = valSet.attributes.index_select(1, targetIndex);
  AugmentationOptions augmentation;
  augmentation.maxRotation = 0;
  augmentation.maxScale = 0;
  augmentation.maxShift = 0.01;

  TrainingHooks hooks;
  hooks.step = [&](int64_t, at::Generator& g) {
    const auto index = torch::randint(trainSet.images.size(0), {stage.batch}, g, torch::kInt64);
    const auto images =
        augment(trainSet.images.index_select(0, index).to(stage.device), {}, augmentation, g).first;
    return StepResult{predictor->loss(predictor->forward(images),
                                      trainTargets.index_select(0, index).to(stage.device)),
                      {}};
  };
  hooks.validate = [&] {
    torch::NoGradGuard noGrad;
    double total = 0.0;
    const int64_t n = valSet.images.size(0);
    for (int64_t start = 0; start < n; start += kEvaluationBatch) {
      const int64_t end = std::min(n, start + kEvaluationBatch);
      total += predictor
                   ->loss(predictor->forward(valSet.images.slice(0, start, end).to(stage.device)),
                          valTargets.slice(0, start, end).to(stage.device))
                   .item<double>() *
               double(end - start);
    }
    predictor->train();
    return std::map<std::string, double>{{"val_loss", total / double(n)}};
  };
  const std::string modelDir = parser.get("out");
  const auto start = std::chrono::steady_clock::now();
  if (!runTraining(*predictor, stage, hooks, modelDir + "/runs/predictors", "train predictors"))
    return 130;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto json = printPredictionScores(
      scorePredictor(*predictor, valSet, stage.graph, stage.device), valSet.images.size(0), "val");
  saveStage(modelDir, "predictors", config.toJson(), *predictor, stage, parser,
            commandLine("cfx train predictors", arguments), seconds, json);
  std::printf("saved predictors to %s/model.json (%.0f s)\n", modelDir.c_str(), seconds);
  return 0;
}

int runEvaluatePredictors(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx evaluate predictors",
      "MAE of every continuous variable and ROC AUC of every binary one on one split.");
  parser.required("model", "MODEL_DIR", "model folder")
      .required("data", "DIR", "data set folder")
      .option("split", "NAME", "train, val, test or all", "test")
      .option("threads", "T", "CPU threads",
              std::to_string(std::max(1u, std::thread::hardware_concurrency())));
  if (!parser.parse(arguments)) return 0;
  torch::set_num_threads(int(parser.getInteger("threads", 1, 256)));
  Predictor predictor = loadPredictor(parser.get("model"));
  const CausalGraph graph = loadGraphFile(parser.get("data") + "/graph.json");
  const io::Manifest manifest = io::readManifest(parser.get("data") + "/manifest.csv", graph);
  const ImageSet set =
      loadImageSet(manifest, graph, parser.get("split"), int(predictor->config().size), false);
  printPredictionScores(scorePredictor(*predictor, set, graph, torch::kCPU), set.images.size(0),
                        parser.get("split"));
  return 0;
}

int runTrainHvae(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx train hvae",
      "Train the image mechanism: a conditional hierarchical VAE over the radiographs, given all\n"
      "graph variables as parents, by the ELBO with a discretised Gaussian likelihood. Reports\n"
      "the test NELBO in bits per dimension.");
  declareStageOptions(parser, "20000", "16", "1e-3");
  const HvaeConfig defaults;  // one place for the default architecture: core/hvae.h
  parser.required("out", "MODEL_DIR", "model folder; the HVAE is added to its model.json")
      .option("architecture", "SPEC", "stages from the image to 1x1: RESbBLOCKS,...",
              defaults.architecture)
      .option("width", "C", "channels of every block", std::to_string(defaults.width))
      .option("latents", "Z", "latent channels per latent block",
              std::to_string(defaults.latentChannels))
      .option("max-latent-resolution", "R", "latents only in blocks up to this resolution",
              std::to_string(defaults.maxLatentResolution))
      .option("beta", "B", "weight of the KL term", "1")
      .option("free-bits", "NATS", "KL allowance per latent channel and pixel", "0");
  if (!parser.parse(arguments)) return 0;
  Stage stage = prepareStage(parser);
  stage.options.emaDecay = 0.999;
  stage.options.skipGradNorm = 400;
  stage.options.clipGradNorm = 200;
  const ImageSet trainSet = loadSplit(stage, "train", false),
                 valSet = loadSplit(stage, "val", false);
  const ParentEncoding encoding = ParentEncoding::fit(stage.graph, trainSet.attributes);
  const auto trainImages = quantise(trainSet.images), valImages = quantise(valSet.images);
  const auto trainParents = encoding.encode(trainSet.attributes, stage.graph);
  const auto valParents = encoding.encode(valSet.attributes, stage.graph);
  const ImageSet valQuantised{valSet.ids, valImages, {}, valSet.attributes};

  HvaeConfig config;
  config.architecture = parser.get("architecture");
  config.width = parser.getInteger("width", 4, 1024);
  config.latentChannels = parser.getInteger("latents", 1, 256);
  config.maxLatentResolution = parser.getInteger("max-latent-resolution", 1, 4096);
  config.parents = encoding.size();
  config.beta = parser.getNumber("beta");
  config.freeBits = parser.getNumber("free-bits");
  if (config.stages().front().resolution != stage.size)
    throw ValidationError("cfx train hvae", "--architecture",
                          "its first stage must be the image size " + std::to_string(stage.size));
  Hvae hvae(config);
  hvae->to(stage.device);

  TrainingHooks hooks;
  hooks.step = [&](int64_t, at::Generator& g) {
    const auto index = torch::randint(trainImages.size(0), {stage.batch}, g, torch::kInt64);
    const auto loss = hvae->loss(trainImages.index_select(0, index).to(stage.device),
                                 trainParents.index_select(0, index).to(stage.device));
    return StepResult{loss.nelbo,
                      {{"nll", loss.nll.item<double>()}, {"kl", loss.kl.item<double>()}}};
  };
  hooks.validate = [&] {
    const auto l = hvaeLossOn(*hvae, valQuantised, valParents, stage.device);
    hvae->train();
    return std::map<std::string, double>{{"val_bits_per_dim", l.bitsPerDim()}};
  };
  const std::string modelDir = parser.get("out");
  const auto start = std::chrono::steady_clock::now();
  if (!runTraining(*hvae, stage, hooks, modelDir + "/runs/hvae", "train hvae")) return 130;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const ImageSet testSet = loadSplit(stage, "test", false);
  const ImageSet testQuantised{testSet.ids, quantise(testSet.images), {}, testSet.attributes};
  const auto val = hvaeLossOn(*hvae, valQuantised, valParents, stage.device);
  const auto test = hvaeLossOn(*hvae, testQuantised,
                               encoding.encode(testSet.attributes, stage.graph), stage.device);
  std::printf("%-6s %14s %14s %14s\n", "split", "NELBO bits/dim", "NLL bits/dim", "KL bits/dim");
  for (const auto& [name, l] :
       std::vector<std::pair<const char*, HvaeLoss>>{{"val", val}, {"test", test}})
    std::printf("%-6s %14.4f %14.4f %14.4f\n", name, l.bitsPerDim(),
                l.nll.item<double>() / std::log(2.0), l.kl.item<double>() / std::log(2.0));
  const nlohmann::json json = {{"val_bits_per_dim", val.bitsPerDim()},
                               {"test_bits_per_dim", test.bitsPerDim()},
                               {"test_nelbo_nats_per_dim", test.nelbo.item<double>()}};
  const nlohmann::json componentConfig = imageMechanismConfig(config, encoding, stage.size);
  saveStage(modelDir, "hvae", componentConfig, *hvae, stage, parser,
            commandLine("cfx train hvae", arguments), seconds, json);
  std::printf("saved hvae to %s/model.json (%.0f s)\n", modelDir.c_str(), seconds);
  return 0;
}

}  // namespace cfx::cli
