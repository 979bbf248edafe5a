#include "network_commands.h"

#include <torch/torch.h>
#include <cstdio>

#include "argument_parser.h"
#include "console_monitor.h"
#include "hvae_training.h"
#include "network_scores.h"
#include "predictor_training.h"
#include "runtime_options.h"
#include "segmentor_training.h"
#include "stage_options.h"

namespace cfx::cli {
namespace {

// Prints what a stage measured; 130 when it was interrupted (its checkpoint is complete).
int finishStage(const training::StageResult& result) {
  std::fputs(result.report.c_str(), stdout);
  return result.completed ? 0 : 130;
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
  training::SegmentorTrainingOptions options;
  options.stage = stageOptions(parser, "cfx train segmentor", arguments);
  options.modelDir = parser.get("out");
  options.component = parser.get("component");
  options.regionBands = parser.getInteger("bands", 1, 16);
  options.width = parser.getInteger("width", 1, 512);
  options.depth = parser.getInteger("depth", 1, 8);
  ConsoleMonitor monitor;
  return finishStage(training::trainSegmentor(options, monitor));
}

int runEvaluateSegmentor(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx evaluate segmentor",
      "Dice per structure (hard masks against the label maps), soft-area MAE and bias (mean\n"
      "signed error) against the manifest's area variables, in percentage points of the image,\n"
      "on one split; then each structure's median Dice and the images with the lowest (where\n"
      "a mislabelled mask shows first).");
  parser.required("model", "MODEL_DIR", "model folder")
      .required("data", "DIR", "data set folder")
      .option("component", "NAME", "segmentor to evaluate", "segmentor")
      .option("split", "NAME", "train, val, test or all", "test")
      .option("per-image", "FILE",
              "also write every image's Dice and areas per structure to this CSV (id, structure, "
              "dice, recorded_area, soft_area; areas in percent of the image)",
              "");
  declareThreadsOption(parser);
  if (!parser.parse(arguments)) return 0;
  threadBudget(parser).apply();
  std::fputs(evaluation::evaluateSegmentor(parser.get("model"), parser.get("component"),
                                           parser.get("data"), parser.get("split"),
                                           parser.get("per-image"))
                 .c_str(),
             stdout);
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
  training::PredictorTrainingOptions options;
  options.stage = stageOptions(parser, "cfx train predictors", arguments);
  options.modelDir = parser.get("out");
  options.width = parser.getInteger("width", 1, 512);
  options.depth = parser.getInteger("depth", 1, 8);
  ConsoleMonitor monitor;
  return finishStage(training::trainPredictors(options, monitor));
}

int runEvaluatePredictors(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx evaluate predictors",
      "MAE of every continuous variable and ROC AUC of every binary one on one split.");
  parser.required("model", "MODEL_DIR", "model folder")
      .required("data", "DIR", "data set folder")
      .option("split", "NAME", "train, val, test or all", "test");
  declareThreadsOption(parser);
  if (!parser.parse(arguments)) return 0;
  threadBudget(parser).apply();
  std::fputs(
      evaluation::evaluatePredictors(parser.get("model"), parser.get("data"), parser.get("split"))
          .c_str(),
      stdout);
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
      .option("free-bits", "NATS", "KL allowance per latent channel and pixel", "0")
      .option("condition-prior", "on|off",
              "also feed the parents to every latent block's prior, not only to the posterior "
              "and the decoder's state",
              "off");
  declarePrecisionOption(parser);
  if (!parser.parse(arguments)) return 0;
  training::HvaeTrainingOptions options;
  options.stage = stageOptions(parser, "cfx train hvae", arguments);
  options.precision = precisionOption(parser, options.stage.device);
  options.modelDir = parser.get("out");
  options.network.architecture = parser.get("architecture");
  options.network.width = parser.getInteger("width", 4, 1024);
  options.network.latentChannels = parser.getInteger("latents", 1, 256);
  options.network.maxLatentResolution = parser.getInteger("max-latent-resolution", 1, 4096);
  options.network.beta = parser.getNumber("beta");
  options.network.freeBits = parser.getNumber("free-bits");
  options.network.conditionPrior = parser.getSwitch("condition-prior");
  ConsoleMonitor monitor;
  return finishStage(training::trainHvae(options, monitor));
}

}  // namespace cfx::cli
