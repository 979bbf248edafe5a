#include <torch/torch.h>
#include <QTemporaryDir>
#include <QtTest>
#include <fstream>

#include "model_bundle.h"
#include "scalar_counterfactual.h"
#include "scalar_scm.h"
#include "test_helpers.h"
#include "trainer.h"

using namespace cfx;

namespace {

// a -> b -> c, a -> c; linear with Gaussian noise and known coefficients.
CausalGraph linearGraph() {
  std::vector<Variable> v(3);
  v[0] = {"a", VariableKind::Continuous, "", -20, 20, {}, {}, std::nullopt};
  v[1] = {"b", VariableKind::Continuous, "", -50, 50, {"a"}, {}, std::nullopt};
  v[2] = {"c", VariableKind::Continuous, "", -50, 50, {"a", "b"}, {}, std::nullopt};
  return CausalGraph::fromVariables(std::move(v), "linear graph");
}
constexpr double kA0 = 1.0, kSa = 2.0, kBa = 0.5, kB0 = 3.0, kSb = 0.7, kCa = -1.2, kCb = 2.0,
                 kSc = 1.5;

torch::Tensor sampleLinear(int64_t n, at::Generator& g) {
  const auto o = torch::TensorOptions().dtype(torch::kFloat32);
  const auto a = kA0 + kSa * torch::randn({n}, g, o);
  const auto b = kB0 + kBa * a + kSb * torch::randn({n}, g, o);
  const auto c = kCa * a + kCb * b + kSc * torch::randn({n}, g, o);
  return torch::stack({a, b, c}, 1);
}

ScalarScm fitLinear(const torch::Tensor& data, const std::string& runDir) {
  ScmConfig config;
  config.flow = FlowKind::Affine;
  config.hidden = 0;
  ScalarScm scm(linearGraph(), config, ScalarScmImpl::computeStatistics(linearGraph(), data));
  TrainingOptions options;
  options.steps = 1500;
  options.learningRate = 1e-2;
  options.warmupSteps = 20;
  options.emaDecay = 0.95;
  options.finalLearningRateFraction = 0.02;
  options.validateEvery = 0;
  options.checkpointEvery = 0;
  TrainingHooks hooks;
  hooks.step = [&](int64_t, at::Generator& g) {
    const auto index = torch::randint(data.size(0), {256}, g, torch::kInt64);
    return StepResult{-scm->logProb(data.index_select(0, index)).sum(1).mean(), {}};
  };
  train(*scm, options, hooks, runDir);
  return scm;
}

}  // namespace

class TestScalarScm : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private Q_SLOTS:
  void initTestCase() { torch::set_num_threads(2); }

  // Unknown values (NaN): a mechanism's term counts only where it and its parents are known, or,
  // given what was observed, wherever its own variable was observed.
  void partialLogLikelihoodCountsKnownTerms() {
    std::vector<Variable> v(2);
    v[0] = {"a", VariableKind::Continuous, "", -10, 10, {}, {}, std::nullopt};
    v[1] = {"b", VariableKind::Continuous, "", -10, 10, {"a"}, {}, std::nullopt};
    const auto graph = CausalGraph::fromVariables(v, "test");
    ScalarScm scm(graph, ScmConfig{}, std::vector<VariableStatistics>{{0, 1}, {0, 1}});
    const auto full = torch::tensor({{0.5f, 1.f}, {-1.f, 2.f}});
    const auto partial = torch::tensor({{0.5f, 1.f}, {NAN, 2.f}});
    const auto lp = scm->logProb(full);
    const auto result = scm->partialLogProb(partial);
    QVERIFY(torch::equal(result.usable, torch::tensor({{true, true}, {false, false}})));
    QVERIFY(torch::allclose(result.logProb[0], lp[0]));
    QCOMPARE(result.logProb[1].abs().sum().item<float>(), 0.f);
    const auto observed = ~torch::isnan(partial);
    const auto estimated = scm->partialLogProb(full, observed);
    QVERIFY(torch::equal(estimated.usable, observed));
    QCOMPARE(estimated.logProb[1][1].item<float>(), lp[1][1].item<float>());
    // Statistics come from the known values only.
    const auto stats = ScalarScmImpl::computeStatistics(
        graph, torch::tensor({{1.f, NAN}, {3.f, 2.f}, {NAN, 4.f}}));
    QCOMPARE(stats[0].mean, 2.0);
    QCOMPARE(stats[1].mean, 3.0);
  }

  // The fitted model's counterfactuals match the analytic ones of the true linear-Gaussian SCM:
  // under do(a := a + delta), b* = b + kBa * delta and c* = c + (kCa + kCb * kBa) * delta.
  void linearGaussianCounterfactualsMatchAnalytic() {
    at::Generator g = makeGenerator(7);
    const auto data = sampleLinear(6000, g);
    ScalarScm scm = fitLinear(data, dir_.filePath("linear").toStdString());
    const auto test = sampleLinear(500, g);
    const auto noise = scm->abduct(test, g);
    auto mask = torch::zeros({500, 3}, torch::kBool);
    mask.select(1, 0).fill_(true);
    auto targets = test.clone();
    const double delta = 1.5;
    targets.select(1, 0).add_(delta);
    const auto cf = scm->counterfactual(test, noise, mask, targets);
    const auto expectedB = test.select(1, 1) + kBa * delta;
    const auto expectedC = test.select(1, 2) + (kCa + kCb * kBa) * delta;
    const double errorB = (cf.select(1, 1) - expectedB).abs().mean().item<double>();
    const double errorC = (cf.select(1, 2) - expectedC).abs().mean().item<double>();
    const double stdB = test.select(1, 1).std().item<double>(),
                 stdC = test.select(1, 2).std().item<double>();
    // Tolerance: 3 % of each variable's standard deviation (the fit is to 6000 samples).
    QVERIFY2(errorB < 0.03 * stdB,
             qPrintable(QString("b error %1 vs std %2").arg(errorB).arg(stdB)));
    QVERIFY2(errorC < 0.03 * stdC,
             qPrintable(QString("c error %1 vs std %2").arg(errorC).arg(stdC)));

    // do(b): a is no descendant and keeps its value exactly; c moves by kCb * delta.
    auto maskB = torch::zeros({500, 3}, torch::kBool);
    maskB.select(1, 1).fill_(true);
    auto targetsB = test.clone();
    targetsB.select(1, 1).add_(delta);
    const auto cfB = scm->counterfactual(test, noise, maskB, targetsB);
    QVERIFY(torch::equal(cfB.select(1, 0), test.select(1, 0)));
    QVERIFY(torch::equal(cfB.select(1, 1), targetsB.select(1, 1)));
    QVERIFY((cfB.select(1, 2) - (test.select(1, 2) + kCb * delta)).abs().mean().item<double>() <
            0.03 * stdC);

    // Rows that intervene on different variables in one batch, do(a) on the even rows and do(c)
    // (no descendants) on the odd: each row as if alone. A mechanism skipped because one row
    // does not need it would leave the other rows' descendants unchanged.
    auto maskMixed = torch::zeros({500, 3}, torch::kBool);
    maskMixed.slice(0, 0, 500, 2).select(1, 0).fill_(true);
    maskMixed.slice(0, 1, 500, 2).select(1, 2).fill_(true);
    auto targetsMixed = test.clone();
    targetsMixed.slice(0, 0, 500, 2).select(1, 0).add_(delta);
    targetsMixed.slice(0, 1, 500, 2).select(1, 2).add_(delta);
    const auto cfMixed = scm->counterfactual(test, noise, maskMixed, targetsMixed);
    QVERIFY(torch::allclose(cfMixed.slice(0, 0, 500, 2), cf.slice(0, 0, 500, 2), 1e-5, 1e-5));
    const auto odd = cfMixed.slice(0, 1, 500, 2);
    QVERIFY(torch::equal(odd.narrow(1, 0, 2), test.slice(0, 1, 500, 2).narrow(1, 0, 2)));
    QVERIFY(torch::equal(odd.select(1, 2), targetsMixed.slice(0, 1, 500, 2).select(1, 2)));
    // do(c) alone runs no mechanism and returns the input with c replaced, exactly.
    const auto leafOnly = scm->counterfactual(test, noise, maskB.roll(1, 1), test + delta);
    QVERIFY(torch::equal(leafOnly.narrow(1, 0, 2), test.narrow(1, 0, 2)));

    // A null intervention changes nothing, and the fit recovered the noise scale of b.
    const auto none = scm->counterfactual(test, noise, torch::zeros({500, 3}, torch::kBool), test);
    QVERIFY(torch::equal(none, test));
    const auto logLikelihood = scm->logProb(test).mean(0);
    const double expectedB_ll = -0.5 - std::log(kSb) - 0.9189385;
    QVERIFY(std::abs(logLikelihood[1].item<double>() - expectedB_ll) < 0.08);
  }

  void typedCounterfactualOfOneSubject() {
    at::Generator g = makeGenerator(5);
    ScmConfig config;
    config.flow = FlowKind::Affine;
    ScalarScm scm(linearGraph(), config, std::vector<VariableStatistics>{{0, 1}, {0, 1}, {0, 1}});
    const std::map<std::string, double> observed = {{"a", 1.0}, {"b", 2.0}, {"c", 3.0}};
    const auto graph = linearGraph();
    const auto result = scalarCounterfactual(*scm, observed, {parseIntervention("b=-50%", graph)},
                                             OutOfRangePolicy::Reject, g);
    QCOMPARE(result.counterfactual.at("b"), 1.0);
    QCOMPARE(result.counterfactual.at("a"), 1.0);
    QCOMPARE(result.intervened, std::vector<std::string>{"b"});
    QCOMPARE(result.changedThroughScm, std::vector<std::string>{"c"});
    CFX_EXPECT_ERROR(scalarCounterfactual(*scm, observed, {parseIntervention("a=99", graph)},
                                          OutOfRangePolicy::Reject, g),
                     "outside the supported range");
    const auto clamped = scalarCounterfactual(*scm, observed, {parseIntervention("a=99", graph)},
                                              OutOfRangePolicy::Clamp, g);
    QCOMPARE(clamped.counterfactual.at("a"), 20.0);
    QCOMPARE(clamped.notes.size(), size_t(1));
    CFX_EXPECT_ERROR(scalarCounterfactual(*scm, {{"a", 1.0}}, {}, OutOfRangePolicy::Reject, g),
                     "'b'", "missing");
  }

  void affectedFollowsTheGraph() {
    ScalarScm scm(linearGraph(), ScmConfig{}, std::vector<VariableStatistics>(3));
    auto mask = torch::zeros({1, 3}, torch::kBool);
    mask[0][1] = true;
    const auto affected = scm->affected(mask);
    QVERIFY(!affected[0][0].item<bool>() && affected[0][1].item<bool>() &&
            affected[0][2].item<bool>());
  }

  void bundleRoundTripAndErrors() {
    const std::string dir = dir_.filePath("bundle").toStdString();
    ScmConfig config;
    config.bins = 5;
    ScalarScm scm(linearGraph(), config, std::vector<VariableStatistics>{{1, 2}, {3, 4}, {5, 6}});
    {
      torch::NoGradGuard noGrad;
      for (auto& p : scm->parameters()) p.copy_(torch::randn_like(p));
    }
    ModelBundle::saveComponent(dir, "scm", scm->toJson(), moduleWeights(*scm), {{"steps", 1}});
    const auto component = ModelBundle::loadComponent(dir, "scm");
    auto loaded = ScalarScm(ScalarScmImpl::fromJson(component.config, component.weightsPath));
    loadModuleWeights(*loaded, component.weights, component.weightsPath);
    at::Generator g = makeGenerator(1);
    const auto x = sampleLinear(10, g);
    QVERIFY(torch::allclose(loaded->logProb(x), scm->logProb(x)));
    QCOMPARE(loaded->statistics()[2].std, 6.0);
    QCOMPARE(loaded->config().bins, int64_t(5));

    // A model of another shape cannot take these weights: the error names the file and tensor.
    config.hidden = 7;
    ScalarScm other(linearGraph(), config, std::vector<VariableStatistics>{{1, 2}, {3, 4}, {5, 6}});
    CFX_EXPECT_ERROR(loadModuleWeights(*other, component.weights, component.weightsPath),
                     "scm.safetensors", "tensor 'b.conditioner.", "expected shape");
    CFX_EXPECT_ERROR(ModelBundle::loadComponent(dir, "hvae"), "model.json", "components.hvae",
                     "missing");

    // A truncated weight file (its checksum no longer matches, and the reader alone also says
    // why) and a model.json of another format version are refused.
    std::filesystem::resize_file(component.weightsPath,
                                 std::filesystem::file_size(component.weightsPath) - 16);
    CFX_EXPECT_ERROR(ModelBundle::loadComponent(dir, "scm"), "scm.safetensors", "checksum",
                     "changed or damaged");
    CFX_EXPECT_ERROR(loadSafetensors(component.weightsPath), "scm.safetensors", "truncated");
    std::ofstream(dir + "/model.json")
        << R"({"format": "cfx-model", "version": 99, "components": {}})";
    CFX_EXPECT_ERROR(ModelBundle::loadComponent(dir, "scm"), "model.json", "version",
                     "another version");
  }

  void configValidation() {
    CFX_EXPECT_ERROR(ScmConfig::fromJson({{"flow", "glow"}}, "m.json"), "m.json", "affine",
                     "spline");
    CFX_EXPECT_ERROR(ScmConfig::fromJson({{"bins", 1}}, "m.json"), "scm.bins");
  }
};

QTEST_APPLESS_MAIN(TestScalarScm)
#include "test_scalar_scm.moc"
