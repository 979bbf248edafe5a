#include "cft_command.h"

#include <cstdio>

#include "argument_parser.h"
#include "console_monitor.h"
#include "fine_tuning_stage.h"
#include "stage_options.h"
#include "validation_error.h"

namespace cfx::cli {

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
      .option("area-targets", "recorded|measured",
              "a structure's counterfactual area is compared with the SCM's counterfactual of "
              "the recorded area (the paper's), or with the segmentor's area of the factual "
              "image scaled by the intended ratio (an extension: the segmentor's misreading of "
              "the recorded area cancels)",
              "recorded")
      .option("area-weight", "W",
              "seg and pos-seg: weight of the structures' area terms (the predictors' terms for "
              "the other variables weigh 1)",
              "1")
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
      .option("smoothness-weight", "W",
              "weight of the change's roughness (mean grey-level step between neighbouring "
              "pixels of counterfactual - factual; an extension against streaks and speckle; 0: "
              "off, the paper's method)",
              "0")
      .option("intervention-values", "batch|relative",
              "continuous interventions: another batch element's value, or a change of the "
              "observed value (structures scale, other variables move by a share of their range)",
              "batch")
      .option("relative-change", "MIN:MAX",
              "with --intervention-values relative: the size of the change, drawn uniformly, "
              "either sign",
              "0.1:0.3");
  if (!parser.parse(arguments)) return 0;
  training::FineTuningOptions options;
  options.stage = stageOptions(parser, "cfx train cft", arguments);
  options.pretrainedDir = parser.get("model");
  options.outDir = parser.get("out");
  options.regionGrid = parser.getInteger("region-grid", 1, 64);
  CftConfig& config = options.config;
  config.guidance = parseGuidance(parser.get("guidance"), "--guidance");
  config.damping = parser.getNumber("damping");
  config.lagrangeLearningRate = parser.getNumber("lagrange-lr");
  config.areaWeight = parser.getNumber("area-weight");
  config.regionWeight = parser.getNumber("region-weight");
  config.regionLayout = parser.get("region-layout");
  checkRegionLayout(config.regionLayout, "cfx train cft", "--region-layout");
  if (config.regionLayout == "grid" && config.guidance != Guidance::PositionalSegmentor)
    throw ValidationError("cfx train cft", "--region-layout",
                          "regions are Pos-Seg-CFT's: use grid with --guidance pos-seg");
  config.localityWeight = parser.getNumber("locality-weight");
  config.localityRegion = parser.get("locality-region");
  config.localityDilation = parser.getInteger("locality-dilation", 0, 32);
  config.localityInteriorWeight = parser.getNumber("locality-interior-weight");
  config.smoothnessWeight = parser.getNumber("smoothness-weight");
  for (const auto& [weight, option] : {std::pair{config.areaWeight, "--area-weight"},
                                       std::pair{config.regionWeight, "--region-weight"},
                                       std::pair{config.localityWeight, "--locality-weight"},
                                       std::pair{config.smoothnessWeight, "--smoothness-weight"}})
    if (!(weight >= 0)) throw ValidationError("cfx train cft", option, "expected a weight >= 0");
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
  config.softLabels = parser.getSwitch("soft-labels");
  const std::string areaLoss = parser.get("area-loss");
  if (areaLoss != "l1" && areaLoss != "l2")
    throw ValidationError("cfx train cft", "--area-loss", "expected l1 or l2");
  config.squaredAreaLoss = areaLoss == "l2";
  config.areaTargets = parser.get("area-targets");
  checkAreaTargets(config.areaTargets, "cfx train cft", "--area-targets");

  ConsoleMonitor monitor;
  const auto result = training::fineTune(options, monitor);
  std::fputs(result.report.c_str(), stdout);
  return result.completed ? 0 : 130;
}

}  // namespace cfx::cli
