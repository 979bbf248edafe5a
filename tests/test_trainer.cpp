#include <torch/cuda.h>
#include <torch/torch.h>
#include <QTemporaryDir>
#include <QtTest>
#include <fstream>

#include "device.h"
#include "model_bundle.h"
#include "safetensors.h"
#include "test_helpers.h"
#include "trainer.h"

using namespace cfx;

namespace {

struct TinyImpl : torch::nn::Module {
  TinyImpl() { linear = register_module("linear", torch::nn::Linear(3, 1)); }
  torch::nn::Linear linear{nullptr};
};
TORCH_MODULE(Tiny);

// A regression problem whose batches come only from the step's generator.
TrainingHooks regression(Tiny& model, int64_t nanAtStep = -1) {
  TrainingHooks hooks;
  hooks.step = [&model, nanAtStep](int64_t step, at::Generator& g) {
    const auto x = torch::randn({32, 3}, g, torch::TensorOptions());
    const auto y = x.matmul(torch::tensor({1.0f, -2.0f, 0.5f})).unsqueeze(1) + 0.3;
    auto loss = torch::mse_loss(model->linear(x), y);
    if (step == nanAtStep) loss = loss * std::numeric_limits<float>::quiet_NaN();
    return StepResult{loss, {{"batch_mean", y.mean().item<double>()}}};
  };
  hooks.validate = [&model] {
    const auto w = model->linear->weight;
    return std::map<std::string, double>{
        {"weight_error", (w - torch::tensor({{1.0f, -2.0f, 0.5f}})).abs().sum().item<double>()}};
  };
  return hooks;
}

TrainingOptions options(int64_t steps) {
  TrainingOptions o;
  o.steps = steps;
  o.learningRate = 0.05;
  o.warmupSteps = 5;
  o.emaDecay = 0.8;
  o.validateEvery = 10;
  o.checkpointEvery = 10;
  o.logEvery = 1;
  o.seed = 4;
  return o;
}

std::vector<nlohmann::json> readMetrics(const std::string& dir) {
  std::ifstream in(dir + "/metrics.jsonl");
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

}  // namespace

class TestTrainer : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::string path(const char* name) { return dir_.filePath(name).toStdString(); }

 private Q_SLOTS:
  void trainingReducesTheLoss() {
    torch::manual_seed(1);
    Tiny model;
    QCOMPARE(int(train(*model, options(150), regression(model), path("reduce"))),
             int(TrainingOutcome::Finished));
    const auto metrics = readMetrics(path("reduce"));
    double first = 0, last = 0;
    for (const auto& m : metrics)
      if (m["kind"] == "train") (m["step"] == 1 ? first : last) = m["loss"].get<double>();
    QVERIFY2(last < 0.05 * first, qPrintable(QString("loss %1 -> %2").arg(first).arg(last)));
    QVERIFY(metrics.back()["kind"] == "validation");
    QVERIFY2(metrics.back()["weight_error"].get<double>() < 0.05,
             qPrintable(QString::fromStdString(metrics.back().dump())));
  }

  // A slow EMA (0.999) still ships the trained weights after a short run: its decay warms up.
  void emaForgetsTheInitialWeightsInShortRuns() {
    QCOMPARE(emaDecayAt(0.999, 0), 0.1);
    QCOMPARE(emaDecayAt(0.999, 90), 0.91);
    QCOMPARE(emaDecayAt(0.999, 100000), 0.999);
    QCOMPARE(emaDecayAt(0.8, 100), 0.8);
    torch::manual_seed(1);
    Tiny model;
    auto o = options(150);
    o.emaDecay = 0.999;
    train(*model, o, regression(model), path("slow-ema"));
    // Without the warm-up 0.999^150 = 86 % of the shipped weights would be the initial ones.
    QVERIFY2(readMetrics(path("slow-ema")).back()["weight_error"].get<double>() < 0.1,
             qPrintable(QString::fromStdString(readMetrics(path("slow-ema")).back().dump())));
  }

  // An interrupted and resumed run ends exactly where an uninterrupted one does.
  void resumeEqualsUninterrupted() {
    torch::manual_seed(2);
    Tiny straight;
    Tiny resumed;
    {
      torch::NoGradGuard noGrad;
      for (size_t i = 0; i < straight->parameters().size(); ++i)
        resumed->parameters()[i].copy_(straight->parameters()[i]);
    }
    train(*straight, options(40), regression(straight), path("straight"));

    std::atomic<bool> stop{false};
    auto hooks = regression(resumed);
    hooks.progress = [&stop](const TrainingProgress& p) { stop = p.step == 23; };
    QCOMPARE(int(train(*resumed, options(40), hooks, path("resumed"), &stop)),
             int(TrainingOutcome::Interrupted));
    // A fresh process: new module, state only from the run folder.
    Tiny restarted;
    QCOMPARE(int(train(*restarted, options(40), regression(restarted), path("resumed"))),
             int(TrainingOutcome::Finished));
    for (size_t i = 0; i < straight->parameters().size(); ++i)
      QVERIFY(torch::allclose(straight->parameters()[i], restarted->parameters()[i], 1e-6, 1e-7));
    // The metrics tell one story: steps 1..40 once each.
    int trainLines = 0;
    for (const auto& m : readMetrics(path("resumed"))) trainLines += m["kind"] == "train";
    QCOMPARE(trainLines, 40);
  }

  void skipsNonFiniteUpdates() {
    torch::manual_seed(3);
    Tiny model;
    train(*model, options(20), regression(model, 7), path("nan"));
    for (const auto& p : model->parameters()) QVERIFY(torch::isfinite(p).all().item<bool>());
    QCOMPARE(readMetrics(path("nan")).back().value("skipped", -1), -1);  // last line is validation
    int64_t skipped = 0;
    for (const auto& m : readMetrics(path("nan")))
      if (m["kind"] == "train") skipped = m["skipped"].get<int64_t>();
    QCOMPARE(skipped, int64_t(1));
  }

  void refusesResumeWithOtherSettings() {
    torch::manual_seed(4);
    Tiny model;
    train(*model, options(10), regression(model), path("settings"));
    auto changed = options(20);
    changed.learningRate = 0.01;
    CFX_EXPECT_ERROR(train(*model, changed, regression(model), path("settings")),
                     "checkpoint.safetensors", "other settings");
  }

  void resolvesDevices() {
    QVERIFY(resolveDevice("cpu").is_cpu());
    CFX_EXPECT_ERROR(resolveDevice("gpu"), "--device", "cpu, cuda, cuda:N or auto");
    if (torch::cuda::is_available()) {
      QVERIFY(resolveDevice("auto").is_cuda());
      CFX_EXPECT_ERROR(resolveDevice("cuda:99"), "CUDA devices");
    } else {
      QVERIFY(resolveDevice("auto").is_cpu());
      CFX_EXPECT_ERROR(resolveDevice("cuda"), "no CUDA GPU");
    }
  }

  void safetensorsRoundTrip() {
    const NamedTensors tensors = {{"a", torch::arange(6, torch::kFloat32).reshape({2, 3})},
                                  {"b", torch::tensor({7}, torch::kInt64)},
                                  {"c", torch::ones({0})}};
    saveSafetensors(path("t.safetensors"), tensors, {{"hello", "world"}});
    std::map<std::string, std::string> meta;
    const auto back = loadSafetensors(path("t.safetensors"), &meta);
    QVERIFY(torch::equal(back.at("a"), tensors.at("a")));
    QCOMPARE(back.at("b").item<int64_t>(), int64_t(7));
    QCOMPARE(meta.at("hello"), std::string("world"));
    std::ofstream(path("junk.safetensors")) << "not a tensor file";
    CFX_EXPECT_ERROR(loadSafetensors(path("junk.safetensors")), "junk.safetensors", "header");
  }
};

QTEST_APPLESS_MAIN(TestTrainer)
#include "test_trainer.moc"
