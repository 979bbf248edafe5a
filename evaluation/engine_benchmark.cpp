#include "engine_benchmark.h"

#include <torch/cuda.h>
#include <torch/torch.h>
#include <algorithm>
#include <chrono>

#include "adamw.h"
#include "counterfactual_engine.h"
#include "intervention.h"
#include "phantom_scm.h"

namespace cfx::evaluation {
namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// The default architecture scaled to an image size: two blocks per resolution down to 4 px, then
// 1 px (128 px gives "128b2,64b2,32b2,16b2,8b2,4b2,1b2").
std::string architectureFor(int64_t size) {
  std::string spec;
  for (int64_t r = size; r >= 4; r /= 2) spec += std::to_string(r) + "b2,";
  return spec + "1b2";
}

std::shared_ptr<CounterfactualEngine> randomEngine(int64_t size, const torch::Device& device) {
  const CausalGraph graph = phantom::PhantomScm::graph();
  ScalarScm scm(
      graph, ScmConfig{},
      std::vector<VariableStatistics>{{0.5, 0.5}, {52, 14}, {9, 1}, {17, 1.4}, {15, 1.4}});
  HvaeConfig hc;
  hc.architecture = architectureFor(size);
  hc.parents = int64_t(graph.variables().size());
  const auto values =
      torch::tensor({{0.0f, 52.0f, 9.0f, 17.0f, 15.0f}, {1.0f, 60.0f, 10.0f, 18.0f, 16.0f}});
  SegmentorConfig sc;
  sc.size = size;
  sc.structures = {{"right_lung_area", 1}, {"left_lung_area", 2}, {"heart_area", 3}};
  sc.unet.classes = 4;
  EngineOptions options;
  options.device = device;
  return CounterfactualEngine::assemble(scm, Hvae(hc), ParentEncoding::fit(graph, values), size,
                                        Segmentor(sc), options, "bench");
}

void synchronise(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

}  // namespace

EngineTimings benchmarkEngine(int64_t size, const torch::Device& device, int repeats,
                              int64_t batch) {
  auto engine = randomEngine(size, device);
  const auto image = torch::rand({1, 1, size, size}) * 2 - 1;
  const std::map<std::string, double> observed = {
      {"sex", 0}, {"age", 60}, {"heart_area", 9}, {"right_lung_area", 17}, {"left_lung_area", 15}};
  const std::vector<Intervention> slider = {
      parseIntervention("left_lung_area=-20%", engine->graph())};
  std::vector<double> abduction, prediction;
  AbductedSubject subject = engine->abduct(image, observed);  // warm-up
  engine->predict(subject, slider);
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    subject = engine->abduct(image, observed);
    synchronise(device);
    abduction.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    const auto before = Clock::now();
    engine->predict(subject, slider);  // returns CPU tensors: includes the copy back
    prediction.push_back(std::chrono::duration<double, std::milli>(Clock::now() - before).count());
  }

  HvaeConfig hc;
  hc.architecture = architectureFor(size);
  hc.parents = 5;
  Hvae hvae(hc);
  hvae->to(device);
  AdamW optimizer(
      [&] {
        std::vector<std::pair<std::string, torch::Tensor>> p;
        for (const auto& item : hvae->named_parameters()) p.emplace_back(item.key(), item.value());
        return p;
      }(),
      {});
  const auto images = (torch::rand({batch, 1, size, size}) * 2 - 1).to(device);
  const auto parents = torch::randn({batch, 5}).to(device);
  const int steps = std::max(3, repeats / 3);
  double seconds = 0.0;
  for (int s = 0; s < steps + 1; ++s) {
    const auto start = Clock::now();
    optimizer.zeroGrad();
    hvae->loss(images, parents).nelbo.backward();
    optimizer.step(1e-4);
    synchronise(device);
    if (s > 0)
      seconds += std::chrono::duration<double>(Clock::now() - start).count();  // first is warm-up
  }
  return {median(abduction), median(prediction), double(batch * steps) / seconds};
}

}  // namespace cfx::evaluation
