#include "counterfactual_command.h"

#include <algorithm>
#include <cstdio>

#include <filesystem>
#include <optional>

#include "argument_parser.h"
#include "console_monitor.h"
#include "counterfactual_engine.h"
#include "counterfactual_job.h"
#include "device.h"
#include "interrupt.h"
#include "pacs_client.h"
#include "pacs_options.h"
#include "pacs_study.h"
#include "runtime_options.h"
#include "temporary_folder.h"

namespace cfx::cli {

int runCounterfactualCommand(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx counterfactual",
      "Answer \"what would this radiograph look like if ...\": abduct the image's exogenous "
      "state,\n"
      "apply the interventions (absolute, or relative like left_lung_area=-20%), recompute their\n"
      "descendants through the SCM and decode the counterfactual. Attributes not given with "
      "--attr\n"
      "come from the DICOM header (age, sex) or, for structure areas, from the segmentor.\n"
      "Writes counterfactual.png, factual.png, difference.png (at the model's size),\n"
      "counterfactual.json, counterfactual_input_size.png for an input of another size (the\n"
      "model's edit upsampled onto the input) and, for a DICOM input, counterfactual.dcm at the\n"
      "input's size and spacing (a derived image marked synthetic).\n"
      "With --pacs NODE --study UID the radiograph is retrieved from a PACS (the study's first\n"
      "series with a usable chest image); --send stores counterfactual.dcm back as a new series.");
  parser.required("model", "MODEL_DIR", "model folder (scm, hvae, segmentor)")
      .option("image", "FILE", "radiograph: DICOM or PNG (or --pacs and --study)")
      .repeated("attr", "VAR=VALUE", "observed value of a variable (e.g. age=63, sex=F)")
      .repeated("do", "VAR=VALUE",
                "intervention; repeat for several; none gives the reconstruction")
      .required("out", "DIR", "output folder (created if needed)")
      .option("particles", "K", "abductions averaged; > 1 also writes variance.png", "1")
      .option("temperature", "T", "latent abduction temperature", "1")
      .option("seed", "S", "abduction seed", "0")
      .flag("clamp", "clamp intervened values into the supported range instead of refusing")
      .option("study", "UID", "Study Instance UID to retrieve from --pacs")
      .flag("send", "store counterfactual.dcm on --pacs (a new series of the source study)");
  declareNodeOptions(parser, "pacs", false);
  declareRuntimeOptions(parser);
  declarePrecisionOption(parser);
  if (!parser.parse(arguments)) return 0;
  if (parser.has("image") == parser.has("study"))
    throw UsageError("give either --image FILE or --pacs NODE --study UID");
  if ((parser.has("study") || parser.has("send")) && !parser.has("pacs"))
    throw UsageError("--study and --send need --pacs NODE");
  EngineOptions options;
  options.device = applyRuntimeOptions(parser);
  options.precision = precisionOption(parser, options.device);
  options.particles = int(parser.getInteger("particles", 1, 256));
  options.latentTemperature = parser.getNumber("temperature");
  options.seed = std::uint64_t(parser.getInteger("seed", 0, 1L << 40));
  options.rangePolicy = parser.has("clamp") ? OutOfRangePolicy::Clamp : OutOfRangePolicy::Reject;
  const std::string outDir = parser.get("out");
  std::optional<pacs::PacsClient> client;
  if (parser.has("pacs")) client.emplace(nodeFromOptions(parser, "pacs"));
  std::string image = parser.has("image") ? parser.get("image") : "";
  // A retrieved study lives in a temporary folder for the length of the command.
  io::TemporaryFolder retrieved("cfx-pacs-");
  if (parser.has("study")) {
    ConsoleMonitor monitor;
    const session::RetrievedStudy study =
        session::retrieveChestImage(*client, parser.get("study"), retrieved.path(), monitor);
    for (const auto& line : study.skipped) std::printf("skipped %s\n", line.c_str());
    std::printf("retrieved %d instance(s) of study %s from %s in %.2f s; using %s (%s)\n",
                study.instancesRetrieved, parser.get("study").c_str(),
                pacs::describe(client->node()).c_str(), study.seconds,
                std::filesystem::path(study.imagePath).filename().string().c_str(),
                study.series.modality.c_str());
    image = study.imagePath;
  }
  const session::CounterfactualOutcome outcome =
      session::runCounterfactualJob({parser.get("model"), image, outDir, parser.all("attr"),
                                     parser.all("do"), options, &interruptRequested()});
  const CausalGraph& graph = outcome.graph;
  const CounterfactualResult& result = outcome.result;

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
  std::printf("prediction %.1f ms (image %.1f ms, then areas %.1f ms) on %s; wrote %s\n",
              result.milliseconds, result.timings.image(), result.timings.segmentor,
              describeDevice(options.device).c_str(), outDir.c_str());
  if (parser.has("send")) {
    const auto dicom = std::find_if(
        outcome.files.written.begin(), outcome.files.written.end(),
        [](const std::string& path) { return std::filesystem::path(path).extension() == ".dcm"; });
    if (dicom == outcome.files.written.end())
      throw UsageError("--send: the input is not DICOM, so there is no counterfactual.dcm to send");
    const auto stored = client->store(*dicom);
    std::printf("stored counterfactual.dcm on %s as %s (a new series) in %.2f s\n",
                pacs::describe(client->node()).c_str(), stored.sopInstanceUid.c_str(),
                stored.seconds);
  }
  return 0;
}

}  // namespace cfx::cli
