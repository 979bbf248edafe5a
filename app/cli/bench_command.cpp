#include "bench_command.h"

#include <torch/cuda.h>
#include <cstdio>
#include <functional>
#include <sstream>

#include "argument_parser.h"
#include "busy_load.h"
#include "device.h"
#include "engine_benchmark.h"
#include "runtime_options.h"

namespace cfx::cli {
namespace {

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) items.push_back(item);
  return items;
}

struct Row {
  const char* name;
  std::function<double(const evaluation::EngineTimings&)> value;
  bool rate = false;  // images per second (0: not measured), else milliseconds
};

const std::vector<Row>& rows() {
  using T = evaluation::EngineTimings;
  static const std::vector<Row> table = {
      {"abduction: SCM noise", [](const T& t) { return t.abduction.scalars; }},
      {"abduction: HVAE encoder", [](const T& t) { return t.abduction.encoder; }},
      {"abduction: HVAE posterior", [](const T& t) { return t.abduction.posterior; }},
      {"abduction (per image)", [](const T& t) { return t.abductionTotal; }},
      {"move: SCM", [](const T& t) { return t.move.scm; }},
      {"move: HVAE decoder", [](const T& t) { return t.move.decoder; }},
      {"move: copies and checks", [](const T& t) { return t.move.copies; }},
      {"move: image shown", [](const T& t) { return t.imageShown; }},
      {"move: segmentor's areas", [](const T& t) { return t.move.segmentor; }},
      {"move: image and areas", [](const T& t) { return t.imageAndAreas; }},
      {"training (images/s)", [](const T& t) { return t.trainingImagesPerSecond; }, true},
  };
  return table;
}

void printTable(const evaluation::EngineTimings& idle, const evaluation::EngineTimings* loaded,
                int load) {
  if (loaded)
    std::printf("  %-28s %10s %10s %9s\n", "part", "idle", ("load " + std::to_string(load)).c_str(),
                "ratio");
  else
    std::printf("  %-28s %10s\n", "part", "idle");
  for (const auto& row : rows()) {
    const double a = row.value(idle);
    if (a == 0.0 && row.rate) continue;  // training not measured
    const char* unit = row.rate ? "" : " ms";
    if (!loaded) {
      std::printf("  %-28s %7.2f%s\n", row.name, a, unit);
      continue;
    }
    const double b = row.value(*loaded);
    std::printf("  %-28s %7.2f%s %7.2f%s %8.2fx\n", row.name, a, unit, b, unit,
                a > 0 ? b / a : 0.0);
  }
}

}  // namespace

int runBenchCommand(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx bench",
      "Time the engine part by part: abduction (once per opened image: SCM noise, HVAE encoder,\n"
      "posterior) and a slider move (SCM, one HVAE decoder pass, copies: the image is shown; then\n"
      "the segmentor's areas and overlay), medians over the repeats; and HVAE training images per\n"
      "second. Random networks of the default architecture at each size (the cost does not depend\n"
      "on the weights), of the architecture given, or the networks of a model folder. With --load\n"
      "N, everything is timed again while N busy threads of another process run.");
  parser.option("sizes", "LIST", "image sizes (random networks)", "128,256")
      .option("model", "DIR", "time this model folder's networks instead")
      .option("architecture", "SPEC", "HVAE stages, e.g. 128b2,64b2,32b2,16b2,8b2,4b2,1b2")
      .option("width", "C", "HVAE channels", "48")
      .option("latent-channels", "Z", "HVAE latent channels per block", "8")
      .option("segmentor-width", "C", "segmentor U-Net channels at full resolution", "16")
      .option("devices", "LIST", "cpu, cuda, or both (cuda only where LibTorch has a GPU)",
              "cpu,cuda")
      .option("precisions", "LIST", "fp32, bf16 or both", "fp32,bf16")
      .option("repeats", "N", "timed repetitions (median reported)", "15")
      .option("batch", "B", "training batch size (0: no training)", "8")
      .option("load", "N", "also time everything while N busy threads of another process run", "0");
  declareThreadsOption(parser);
  if (!parser.parse(arguments)) return 0;
  // Forked first, while this process has no other thread.
  BusyLoad load(int(parser.getInteger("load", 0, 64)));
  const io::ThreadBudget budget = threadBudget(parser);
  int lastThreads = 0;

  evaluation::BenchmarkSettings settings;
  settings.repeats = int(parser.getInteger("repeats", 1, 10000));
  settings.trainingBatch = parser.getInteger("batch", 0, 1024);
  settings.beforeEachJob = [&] { lastThreads = budget.apply(); };

  std::vector<evaluation::BenchmarkSubject> subjects;
  if (parser.has("model")) {
    evaluation::BenchmarkSubject subject;
    subject.modelDir = parser.get("model");
    subjects.push_back(subject);
  } else {
    for (const auto& item : splitList(parser.get("sizes"))) {
      evaluation::BenchmarkSubject subject;
      subject.size = std::stoll(item);
      if (subject.size < 16 || (subject.size & (subject.size - 1)) != 0)
        throw UsageError("--sizes: each size must be a power of two >= 16");
      if (parser.has("architecture")) subject.architecture = parser.get("architecture");
      subject.width = parser.getInteger("width", 4, 512);
      subject.latentChannels = parser.getInteger("latent-channels", 1, 128);
      subject.segmentorWidth = parser.getInteger("segmentor-width", 1, 512);
      subjects.push_back(subject);
      if (parser.has("architecture")) break;  // the architecture fixes the size
    }
  }
  std::vector<torch::Device> devices;
  for (const auto& item : splitList(parser.get("devices"))) {
    if (item == "cuda" && !torch::cuda::is_available()) {
      std::printf("cuda: not available to this LibTorch; skipped\n");
      continue;
    }
    devices.push_back(resolveDevice(item));
  }
  struct Configuration {
    torch::Device device;
    Precision precision;
    evaluation::BenchmarkSubject subject;
  };
  std::vector<Configuration> configurations;
  for (const auto& device : devices)
    for (const auto& item : splitList(parser.get("precisions"))) {
      const Precision precision = parsePrecision(item, device);
      if (precision == Precision::BFloat16 && !hasNativeBFloat16(device)) {
        std::printf("%s: no bf16 arithmetic in hardware; bf16 skipped\n", device.str().c_str());
        continue;
      }
      for (const auto& subject : subjects) configurations.push_back({device, precision, subject});
    }
  const auto measure = [&](const Configuration& c) {
    settings.device = c.device;
    settings.precision = c.precision;
    return evaluation::benchmarkEngine(c.subject, settings);
  };
  std::vector<std::pair<std::string, evaluation::EngineTimings>> idle;
  for (const auto& c : configurations) {
    const auto t = measure(c);
    idle.emplace_back(c.device.str() + ", " + std::to_string(t.size) + " px, " +
                          precisionName(c.precision) + ", " +
                          (budget.adaptive() ? "threads auto (" : "threads (") +
                          std::to_string(lastThreads) + " used): " + t.description,
                      t);
    if (load.threads() > 0) continue;  // printed beside the loaded figures
    std::printf("%s\n", idle.back().first.c_str());
    printTable(t, nullptr, 0);
    std::fflush(stdout);
  }
  if (load.threads() == 0) return 0;
  load.start();
  for (size_t i = 0; i < configurations.size(); ++i) {
    const auto t = measure(configurations[i]);
    std::printf("%s; %d used under the load\n", idle[i].first.c_str(), lastThreads);
    printTable(idle[i].second, &t, load.threads());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace cfx::cli
