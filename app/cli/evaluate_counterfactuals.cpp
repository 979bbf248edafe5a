#include "evaluate_counterfactuals.h"

#include <torch/torch.h>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "argument_parser.h"
#include "console_progress.h"
#include "counterfactual_engine.h"
#include "dataset_tensors.h"
#include "device.h"
#include "image_set.h"
#include "interrupt.h"
#include "model_bundle.h"
#include "phantom_dataset.h"
#include "phantom_subject.h"
#include "runtime_options.h"
#include "tensor_bridge.h"
#include "trainer.h"
#include "validation_error.h"

namespace cfx::cli {
namespace {

struct Accumulator {
  long n = 0;
  double absoluteError = 0, relativeError = 0, drift = 0, l1Truth = 0, l1Unchanged = 0;
};

}  // namespace

int runEvaluateCounterfactuals(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx evaluate counterfactuals",
      "Random single-structure interventions (each area changed by 10-30 %, up or down) on test\n"
      "subjects of a phantom data set. Effectiveness: the area the independent evaluation\n"
      "segmentor measures on the counterfactual against the target (MAE, MAPE); drift: how far "
      "the\n"
      "other structures' measured areas move; L1 (0-255) against the phantom's true "
      "counterfactual\n"
      "rendered from the stored noise; composition: L1 of the null intervention to the input.");
  parser.required("model", "MODEL_DIR", "model folder (scm, hvae, segmentor, eval_segmentor)")
      .required("data", "DIR", "phantom data set (with exogenous.bin) at the model's image size")
      .option("interventions", "N", "number of interventions", "200")
      .option("seed", "S", "seed of the intervention sample", "1")
      .option("split", "NAME", "split to draw subjects from (all for a data set of its own seed)",
              "test")
      .option("report", "FILE", "also write the table as JSON");
  declareRuntimeOptions(parser);
  if (!parser.parse(arguments)) return 0;
  EngineOptions options;
  options.device = applyRuntimeOptions(parser);
  const std::string modelDir = parser.get("model");
  auto engine = CounterfactualEngine::load(modelDir, options);
  Segmentor evaluator = loadSegmentor(modelDir, "eval_segmentor");
  evaluator->to(options.device);

  const PhantomDataset data = loadPhantomDataset(parser.get("data"));
  if (data.size != engine->imageSize())
    throw ValidationError(parser.get("data"), "size",
                          "the phantom is " + std::to_string(data.size) + " px, the model " +
                              std::to_string(engine->imageSize()) + " px");
  const CausalGraph& graph = engine->graph();
  const io::Manifest manifest = io::readManifest(parser.get("data") + "/manifest.csv", graph);
  const ImageSet set = loadImageSet(manifest, graph, parser.get("split"), data.size, false);
  const phantom::PhantomScm truth(data.coefficients);
  const auto& structures = evaluator->config().structures;

  const auto measure = [&](const torch::Tensor& image) {
    torch::NoGradGuard noGrad;
    return SegmentorImpl::softAreas(evaluator->probabilities(image.to(options.device))).cpu()[0];
  };
  const int64_t count = parser.getInteger("interventions", 1, 1'000'000);
  at::Generator g = makeGenerator(std::uint64_t(parser.getInteger("seed", 0, 1L << 40)));
  std::vector<Accumulator> perVariable(structures.size());
  double composition = 0;
  ConsoleProgress progress(std::cerr, "evaluate", long(count), stderrIsTerminal());
  for (int64_t i = 0; i < count; ++i) {
    if (interruptRequested().load()) return 130;
    const int64_t s = torch::randint(set.images.size(0), {1}, g, torch::kInt64).item<int64_t>();
    const size_t k =
        size_t(torch::randint(int64_t(structures.size()), {1}, g, torch::kInt64).item<int64_t>());
    const double magnitude = 0.1 + 0.2 * torch::rand({1}, g, torch::TensorOptions()).item<double>();
    const double change =
        torch::rand({1}, g, torch::TensorOptions()).item<double>() < 0.5 ? -magnitude : magnitude;
    // The 8-bit image the data set stores, as the HVAE was trained on it.
    const auto image = ((set.images.slice(0, s, s + 1) + 1) * 127.5).round() / 127.5 - 1;
    std::map<std::string, double> observed;
    for (size_t v = 0; v < graph.variables().size(); ++v)
      observed[graph.variables()[v].name] = set.attributes[s][int64_t(v)].item<double>();
    const std::string& variable = structures[k].variable;
    const Variable& info = graph.variable(variable);
    const double target = std::clamp(observed.at(variable) * (1 + change), info.min, info.max);

    const auto subject = engine->abduct(image, observed);
    const auto result = engine->predict(subject, {Intervention{variable, target, false}});
    const auto null = engine->predict(subject, {});
    composition += (null.image - image[0][0]).abs().mean().item<double>() * 127.5;

    const auto before = measure(image),
               after = measure(result.image.view({1, 1, data.size, data.size}));
    Accumulator& a = perVariable[k];
    ++a.n;
    const double wanted = result.scalars.counterfactual.at(variable);
    a.absoluteError += std::abs(after[int64_t(k)].item<double>() - wanted);
    a.relativeError += std::abs(after[int64_t(k)].item<double>() - wanted) / wanted;
    for (size_t other = 0; other < structures.size(); ++other)
      if (other != k && !graph.dependsOn(structures[other].variable, variable))
        a.drift +=
            std::abs(after[int64_t(other)].item<double>() - before[int64_t(other)].item<double>());
    const auto trueCf = phantom::renderSubject(truth, data.noise.at(set.ids[size_t(s)]), data.size,
                                               {{variable, target}});
    const auto trueImage = io::toTensor(trueCf.image)[0][0];
    a.l1Truth += (result.image - trueImage).abs().mean().item<double>() * 127.5;
    // What a model that ignores the intervention would score.
    a.l1Unchanged += (image[0][0] - trueImage).abs().mean().item<double>() * 127.5;
    progress.update(long(i + 1));
  }
  progress.finish();

  std::printf("counterfactuals of %s on %lld interventions (%s split of %s)\n", modelDir.c_str(),
              static_cast<long long>(count), parser.get("split").c_str(),
              parser.get("data").c_str());
  std::printf("%-18s %6s %12s %10s %16s %12s %18s\n", "intervened", "n", "area MAE", "MAPE",
              "drift of others", "L1 to truth", "(input to truth)");
  nlohmann::json report = {{"interventions", count}, {"variables", nlohmann::json::object()}};
  for (size_t k = 0; k < structures.size(); ++k) {
    const Accumulator& a = perVariable[k];
    if (a.n == 0) continue;
    const double n = double(a.n);
    std::printf("%-18s %6ld %9.3f pp %9.2f%% %13.3f pp %12.2f %18.2f\n",
                structures[k].variable.c_str(), a.n, a.absoluteError / n, 100 * a.relativeError / n,
                a.drift / n, a.l1Truth / n, a.l1Unchanged / n);
    report["variables"][structures[k].variable] = {
        {"n", a.n},
        {"area_mae", a.absoluteError / n},
        {"area_mape", a.relativeError / n},
        {"drift_of_non_descendants", a.drift / n},
        {"l1_to_true_counterfactual_0_255", a.l1Truth / n},
        {"l1_input_to_true_counterfactual_0_255", a.l1Unchanged / n}};
  }
  std::printf("composition (null intervention, L1 on 0-255): %.4f\n", composition / double(count));
  report["composition_l1_0_255"] = composition / double(count);
  if (parser.has("report")) std::ofstream(parser.get("report")) << report.dump(2) << "\n";
  return 0;
}

}  // namespace cfx::cli
