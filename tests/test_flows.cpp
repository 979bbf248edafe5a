#include <torch/torch.h>
#include <QtTest>

#include "mechanisms.h"
#include "spline.h"
#include "trainer.h"

using namespace cfx;

class TestFlows : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { torch::manual_seed(0); }

  void splineInverseUndoesForward() {
    const int64_t n = 500, bins = 8;
    // One spline for every row, so that outputs along the sorted inputs must increase.
    const auto w = torch::randn({1, bins}, torch::kFloat64).expand({n, bins});
    const auto h = torch::randn({1, bins}, torch::kFloat64).expand({n, bins});
    const auto d = torch::randn({1, bins - 1}, torch::kFloat64).expand({n, bins - 1});
    const auto x = torch::linspace(-5, 5, n, torch::kFloat64);  // includes both tails
    const auto [y, logdet] = splineForward(x, w, h, d, 3.0);
    const auto [back, inverseLogdet] = splineInverse(y, w, h, d, 3.0);
    QVERIFY((back - x).abs().max().item<double>() < 1e-9);
    QVERIFY((logdet + inverseLogdet).abs().max().item<double>() < 1e-9);
    QVERIFY((y.slice(0, 1) - y.slice(0, 0, -1)).min().item<double>() > 0);  // monotone
    QCOMPARE(y[0].item<double>(), -5.0);                                    // identity tail
  }

  void splineLogDeterminantMatchesNumericalDerivative() {
    const int64_t n = 200, bins = 6;
    const auto w = torch::randn({n, bins}, torch::kFloat64),
               h = torch::randn({n, bins}, torch::kFloat64);
    const auto d = torch::randn({n, bins - 1}, torch::kFloat64);
    const auto x = torch::rand({n}, torch::kFloat64) * 5.8 - 2.9;
    const double step = 1e-6;
    const auto numeric = (splineForward(x + step, w, h, d, 3.0).first -
                          splineForward(x - step, w, h, d, 3.0).first) /
                         (2 * step);
    const auto logdet = splineForward(x, w, h, d, 3.0).second;
    QVERIFY((logdet - numeric.log()).abs().max().item<double>() < 1e-5);
  }

  void flowMechanismsAreInvertibleWithCorrectDensity() {
    for (FlowKind kind : {FlowKind::Affine, FlowKind::Spline}) {
      FlowMechanismImpl flow(kind, 2, 16, 8, 4.0);
      flow.to(torch::kFloat64);
      {  // random, non-trivial conditioner weights
        torch::NoGradGuard noGrad;
        for (auto& p : flow.parameters()) p.copy_(torch::randn_like(p) * 0.3);
      }
      const int64_t n = 300;
      const auto parents = torch::randn({n, 2}, torch::kFloat64);
      const auto u = torch::randn({n, 1}, torch::kFloat64);
      const auto value = flow.predict(u, parents);
      at::Generator g = makeGenerator(1);
      QVERIFY((flow.abduct(value, parents, g) - u).abs().max().item<double>() < 1e-8);
      // d value / d noise by central differences in the noise (well conditioned even where the
      // flow is steep) must be exp(-log |d noise / d value|).
      const double step = 1e-6;
      const auto numeric =
          -((flow.predict(u + step, parents) - flow.predict(u - step, parents)) / (2 * step)).log();
      const auto logdet = flow.inverse(value, parents).second;
      const auto error = (logdet - numeric).abs();
      const auto worst = error.argmax().item<int64_t>();
      QVERIFY2(error.max().item<double>() < 1e-4,
               qPrintable(QString("%1: error %2 at u=%3 logdet %4")
                              .arg(QString::fromStdString(toString(kind)))
                              .arg(error.max().item<double>())
                              .arg(u[worst].item<double>())
                              .arg(logdet[worst].item<double>())));
    }
  }

  void gumbelAbductionReproducesObservationAndIsUnbiased() {
    CategoricalMechanismImpl mechanism(3, 1, 8);
    {
      torch::NoGradGuard noGrad;
      for (auto& p : mechanism.parameters()) p.copy_(torch::randn_like(p));
    }
    const int64_t n = 20000;
    at::Generator g = makeGenerator(3);
    const auto parents = torch::randn({n, 1}, g, torch::TensorOptions());
    // Observations drawn from the model itself.
    const auto observed = mechanism.predict(mechanism.sampleNoise(n, g), parents);
    const auto noise = mechanism.abduct(observed, parents, g);
    QVERIFY(torch::equal(mechanism.predict(noise, parents), observed));
    // Averaged over the model's own observations, the posterior noise is again Gumbel(0, 1):
    // mean = Euler-Mascheroni constant, variance pi^2 / 6.
    const auto mean = noise.mean(0);
    for (int k = 0; k < 3; ++k)
      QVERIFY2(std::abs(mean[k].item<double>() - 0.5772) < 0.04, "posterior noise mean");
    QVERIFY(std::abs(noise.var().item<double>() - 1.6449) < 0.1);
  }
};

QTEST_APPLESS_MAIN(TestFlows)
#include "test_flows.moc"
