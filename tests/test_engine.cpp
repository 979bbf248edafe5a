#include <torch/torch.h>
#include <QTemporaryDir>
#include <QtTest>

#include "counterfactual_engine.h"
#include "model_bundle.h"
#include "test_helpers.h"
#include "tiny_models.h"
#include "trainer.h"

using namespace cfx;

namespace {

// A complete, untrained bundle at 16 px: enough to exercise every path of the engine.
void writeTinyBundle(const std::string& dir) {
  torch::manual_seed(0);
  const auto graph = test::chestGraph();
  const auto stats = test::chestStatistics();
  ScalarScm scm(graph, ScmConfig{}, stats);
  ModelBundle::saveComponent(dir, "scm", scm->toJson(), moduleWeights(*scm));
  const HvaeConfig hc = test::tinyHvaeConfig();
  Hvae hvae(hc);
  nlohmann::json parents = nlohmann::json::array();
  for (size_t i = 0; i < 5; ++i)
    parents.push_back({{"name", graph.variables()[i].name},
                       {"binary", i == 0},
                       {"mean", stats[i].mean},
                       {"std", stats[i].std}});
  ModelBundle::saveComponent(dir, "hvae",
                             {{"hvae", hc.toJson()}, {"size", 16}, {"parents", parents}},
                             moduleWeights(*hvae));
  const SegmentorConfig sc = test::tinySegmentorConfig();
  Segmentor segmentor(sc);
  ModelBundle::saveComponent(dir, "segmentor", sc.toJson(), moduleWeights(*segmentor));
}

torch::Tensor image() {
  at::Generator g = makeGenerator(9);
  return (torch::rand({1, 1, 16, 16}, g, torch::TensorOptions()) * 255).round() / 127.5 - 1;
}

}  // namespace

class TestEngine : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::string model_;

 private Q_SLOTS:
  void initTestCase() {
    model_ = dir_.filePath("model").toStdString();
    writeTinyBundle(model_);
  }

  void nullInterventionReproducesTheImage() {
    EngineOptions options;
    options.particles = 3;
    auto engine = CounterfactualEngine::load(model_, options);
    QCOMPARE(engine->imageSize(), int64_t(16));
    const auto x = image();
    const auto observed = engine->completeObservation(x, {{"sex", 0}, {"age", 63}});
    QCOMPARE(observed.size(), size_t(5));  // areas measured by the segmentor
    const auto subject = engine->abduct(x, observed);
    const auto result = engine->predict(subject, {});
    QVERIFY((result.image - x[0][0]).abs().max().item<double>() < 1.0 / 255.0);
    QVERIFY(result.variance.abs().max().item<double>() <
            1e-8);  // every particle reconstructs exactly
    QVERIFY(result.scalars.changedThroughScm.empty());
    QCOMPARE(result.measured.size(), size_t(3));
    QVERIFY(result.milliseconds > 0);
  }

  void interventionPropagatesAndChangesTheImage() {
    auto engine = CounterfactualEngine::load(model_, EngineOptions{});
    const auto x = image();
    const auto observed =
        engine->completeObservation(x, {{"sex", 1}, {"age", 40}, {"heart_area", 9}});
    const auto subject = engine->abduct(x, observed);
    const auto result =
        engine->predict(subject, {parseIntervention("heart_area=+20%", engine->graph())});
    QVERIFY(std::abs(result.scalars.counterfactual.at("heart_area") - 9 * 1.2) <
            1e-5);  // float32 SCM
    QCOMPARE(result.scalars.changedThroughScm, std::vector<std::string>{"left_lung_area"});
    QCOMPARE(result.scalars.counterfactual.at("right_lung_area"), observed.at("right_lung_area"));
    QVERIFY((result.image - x[0][0]).abs().max().item<double>() > 1e-4);
    // The same request gives the same answer.
    const auto again =
        engine->predict(subject, {parseIntervention("heart_area=+20%", engine->graph())});
    QVERIFY(torch::equal(again.image, result.image));
  }

  void clearErrors() {
    auto engine = CounterfactualEngine::load(model_, EngineOptions{});
    CFX_EXPECT_ERROR(engine->completeObservation(image(), {{"sex", 0}}), "'age'", "missing");
    CFX_EXPECT_ERROR(engine->abduct(torch::zeros({1, 1, 8, 8}), {}), "expected [1, 1, 16, 16]");
    CFX_EXPECT_ERROR(
        CounterfactualEngine::load(dir_.filePath("none").toStdString(), EngineOptions{}),
        "model.json");
    const auto subject =
        engine->abduct(image(), engine->completeObservation(image(), {{"sex", 0}, {"age", 50}}));
    CFX_EXPECT_ERROR(engine->predict(subject, {parseIntervention("age=200", engine->graph())}),
                     "outside the supported range");
  }
};

QTEST_APPLESS_MAIN(TestEngine)
#include "test_engine.moc"
