#include "engine_benchmark.h"

#include <torch/torch.h>
#include <algorithm>

#include "adamw.h"
#include "intervention.h"
#include "phantom_scm.h"
#include "stopwatch.h"

namespace cfx::evaluation {
namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

HvaeConfig randomHvaeConfig(const BenchmarkSubject& subject, int64_t parents) {
  HvaeConfig hc;
  hc.architecture =
      subject.architecture.empty() ? defaultArchitectureFor(subject.size) : subject.architecture;
  hc.width = subject.width;
  hc.latentChannels = subject.latentChannels;
  hc.parents = parents;
  return hc;
}

std::shared_ptr<CounterfactualEngine> randomEngine(const BenchmarkSubject& subject,
                                                   const EngineOptions& options) {
  const CausalGraph graph = phantom::PhantomScm::graph();
  ScalarScm scm(
      graph, ScmConfig{},
      std::vector<VariableStatistics>{{0.5, 0.5}, {52, 14}, {9, 1}, {17, 1.4}, {15, 1.4}});
  const HvaeConfig hc = randomHvaeConfig(subject, int64_t(graph.variables().size()));
  const int64_t size = parseHvaeArchitecture(hc.architecture, "--architecture").front().resolution;
  const auto values =
      torch::tensor({{0.0f, 52.0f, 9.0f, 17.0f, 15.0f}, {1.0f, 60.0f, 10.0f, 18.0f, 16.0f}});
  SegmentorConfig sc;
  sc.size = size;
  sc.structures = {{"right_lung_area", 1}, {"left_lung_area", 2}, {"heart_area", 3}};
  sc.unet.classes = 4;
  sc.unet.width = subject.segmentorWidth;
  return CounterfactualEngine::assemble(scm, Hvae(hc), ParentEncoding::fit(graph, values), size,
                                        Segmentor(sc), options, "bench");
}

// Values inside every variable's range; the structure areas as the segmentor measures them.
std::map<std::string, double> plausibleObservation(CounterfactualEngine& engine,
                                                   const torch::Tensor& image) {
  std::map<std::string, double> given;
  const auto measured = engine.measureAreas(image);
  for (const auto& v : engine.graph().variables())
    if (!measured.count(v.name))
      given[v.name] = v.kind == VariableKind::Continuous ? (v.min + v.max) / 2 : v.min;
  std::map<std::string, double> observed = engine.completeObservation(given, measured);
  // A random image's areas may lie outside the graph's ranges; abduction needs them inside.
  for (const auto& v : engine.graph().variables())
    observed[v.name] = std::clamp(observed[v.name], v.min, v.max);
  return observed;
}

// A slider move: the first structure the segmentor measures, 20 % smaller.
Intervention sliderMove(const CounterfactualEngine& engine) {
  const auto& graph = engine.graph();
  const std::string variable =
      graph.indexOf("left_lung_area") ? "left_lung_area" : graph.variables().back().name;
  return parseIntervention(variable + "=-20%", graph);
}

double trainingImagesPerSecond(const HvaeConfig& config, const BenchmarkSettings& settings,
                               int64_t size) {
  Hvae hvae(config);
  hvae->to(settings.device);
  hvae->setComputeType(computeType(settings.precision));
  AdamW optimizer(
      [&] {
        std::vector<std::pair<std::string, torch::Tensor>> p;
        for (const auto& item : hvae->named_parameters()) p.emplace_back(item.key(), item.value());
        return p;
      }(),
      {});
  const int64_t batch = settings.trainingBatch;
  const auto images = (torch::rand({batch, 1, size, size}) * 2 - 1).to(settings.device);
  const auto parents = torch::randn({batch, config.parents}).to(settings.device);
  const int steps = std::max(3, settings.repeats / 3);
  double seconds = 0.0;
  for (int s = 0; s < steps + 1; ++s) {
    if (settings.beforeEachJob) settings.beforeEachJob();
    Stopwatch clock(settings.device);
    optimizer.zeroGrad();
    hvae->loss(images, parents).nelbo.backward();
    optimizer.step(1e-4);
    const double ms = clock.lap();
    if (s > 0) seconds += ms / 1000.0;  // the first is a warm-up
  }
  return double(batch * steps) / seconds;
}

}  // namespace

std::string defaultArchitectureFor(int64_t size) {
  std::string spec;
  for (int64_t r = size; r >= 4; r /= 2) spec += std::to_string(r) + "b2,";
  return spec + "1b2";
}

EngineTimings benchmarkEngine(const BenchmarkSubject& subject, const BenchmarkSettings& settings) {
  EngineOptions options;
  options.device = settings.device;
  options.precision = settings.precision;
  options.rangePolicy = OutOfRangePolicy::Clamp;
  auto engine = subject.modelDir.empty() ? randomEngine(subject, options)
                                         : CounterfactualEngine::load(subject.modelDir, options);
  const int64_t size = engine->imageSize();
  torch::manual_seed(0);
  const auto image = torch::rand({1, 1, size, size}) * 2 - 1;
  const auto observed = plausibleObservation(*engine, image);
  const std::vector<Intervention> slider = {sliderMove(*engine)};

  if (settings.beforeEachJob) settings.beforeEachJob();        // the warm-up with the jobs' threads
  AbductedSubject abducted = engine->abduct(image, observed);  // warm-up
  engine->predict(abducted, slider);
  std::vector<double> scalars, encoder, posterior, abduction;
  std::vector<double> scm, decoder, copies, segmentor, shown, measured;
  for (int r = 0; r < settings.repeats; ++r) {
    if (settings.beforeEachJob) settings.beforeEachJob();
    abducted = engine->abduct(image, observed);
    const auto& a = abducted.timings;
    scalars.push_back(a.scalars);
    encoder.push_back(a.encoder);
    posterior.push_back(a.posterior);
    abduction.push_back(a.total());
    if (settings.beforeEachJob) settings.beforeEachJob();
    const auto result = engine->predict(abducted, slider);  // returns CPU tensors
    const auto& t = result.timings;
    scm.push_back(t.scm);
    decoder.push_back(t.decoder);
    copies.push_back(t.copies);
    segmentor.push_back(t.segmentor);
    shown.push_back(t.image());
    measured.push_back(t.total());
  }

  const HvaeConfig& network = engine->hvaeNetwork();
  EngineTimings timings;
  timings.size = size;
  timings.description = (subject.modelDir.empty() ? "" : subject.modelDir + ": ") +
                        network.architecture + " width " + std::to_string(network.width) + ", " +
                        std::to_string(network.latentChannels) + " latent channels";
  timings.abduction = {median(scalars), median(encoder), median(posterior)};
  timings.abductionTotal = median(abduction);
  timings.move = {median(scm), median(decoder), median(copies), median(segmentor)};
  timings.imageShown = median(shown);
  timings.imageAndAreas = median(measured);
  if (settings.trainingBatch > 0)
    timings.trainingImagesPerSecond = trainingImagesPerSecond(network, settings, size);
  return timings;
}

}  // namespace cfx::evaluation
