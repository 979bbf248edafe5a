#include <torch/torch.h>
#include <QtTest>

#include "image_metrics.h"
#include "trainer.h"

using namespace cfx;

// Every evaluation metric on a case whose answer is known in closed form.
class TestImageMetrics : public QObject {
  Q_OBJECT

  static torch::Tensor level(double grey255, int64_t size = 32) {
    return torch::full({size, size}, grey255 / 127.5 - 1.0, torch::kFloat64);
  }

 private Q_SLOTS:
  void meanAbsoluteDifferenceIsOnTheGreyScale() {
    QVERIFY(std::abs(meanAbsoluteDifference255(level(100), level(103)) - 3.0) < 1e-9);
    auto a = level(0), b = level(0);
    b.slice(0, 0, 16).fill_(10.0 / 127.5 - 1);  // half the image 10 levels brighter
    QVERIFY(std::abs(meanAbsoluteDifference255(a, b) - 5.0) < 1e-9);
  }

  void ssimOfIdenticalAndOfFlatImages() {
    at::Generator g = makeGenerator(2);
    const auto noise = torch::rand({48, 48}, g, torch::TensorOptions().dtype(torch::kFloat64));
    QVERIFY(std::abs(structuralSimilarity(noise, noise) - 1.0) < 1e-12);
    // Two flat images: only the luminance term is left, (2 mx my + C1) / (mx^2 + my^2 + C1).
    const double mx = 100, my = 140, c1 = std::pow(0.01 * 255, 2);
    const double expected = (2 * mx * my + c1) / (mx * mx + my * my + c1);
    QVERIFY(std::abs(structuralSimilarity(level(mx), level(my)) - expected) < 1e-9);
    // Noise against its negative: structure anti-correlated, SSIM far below the flat case.
    QVERIFY(structuralSimilarity(noise, -noise) < 0.0);
  }

  void dilationGrowsASquare() {
    auto mask = torch::zeros({20, 20}, torch::kBool);
    mask[10][10] = true;
    QCOMPARE(dilate(mask, 2).sum().item<int64_t>(), int64_t(25));
    QCOMPARE(dilate(mask, 0).sum().item<int64_t>(), int64_t(1));
    mask[0][0] = true;  // at the border the square is cut
    QCOMPARE(dilate(mask, 1).sum().item<int64_t>(), int64_t(9 + 4));
  }

  void structureRegionJoinsBeforeAndAfter() {
    // Label 3 occupies column 2 before and column 3 after; label 2 sits in column 6.
    auto before = torch::zeros({8, 8}, torch::kInt64), after = before.clone();
    before.select(1, 2).fill_(3);
    after.select(1, 3).fill_(3);
    before.select(1, 6).fill_(2);
    after.select(1, 6).fill_(2);
    QCOMPARE(structureRegion(before, after, {3}, 0).sum().item<int64_t>(), int64_t(16));
    QCOMPARE(structureRegion(before, after, {3}, 1).sum().item<int64_t>(), int64_t(32));
    QCOMPARE(structureRegion(before, after, {3, 2}, 0).sum().item<int64_t>(), int64_t(24));
    QCOMPARE(structureRegion(before, after, {}, 2).sum().item<int64_t>(), int64_t(0));
  }

  void localitySeparatesInsideFromOutside() {
    auto region = torch::zeros({32, 32}, torch::kBool);
    region.slice(0, 8, 16).slice(1, 8, 16).fill_(true);  // 64 pixels
    const auto factual = level(50);
    auto local = factual.clone();
    local.masked_fill_(region, 60.0 / 127.5 - 1);
    const Locality inside = locality(factual, local, region);
    QVERIFY(std::abs(inside.inside - 10.0) < 1e-9);
    QCOMPARE(inside.outside, 0.0);
    QCOMPARE(inside.ratio, 0.0);
    const Locality global = locality(factual, level(54), region);
    QVERIFY(std::abs(global.inside - 4.0) < 1e-9 && std::abs(global.outside - 4.0) < 1e-9);
    QVERIFY(std::abs(global.ratio - 1.0) < 1e-9);
  }

  void frechetDistanceOfShiftedFeatures() {
    at::Generator g = makeGenerator(3);
    const auto a = torch::randn({400, 6}, g, torch::TensorOptions().dtype(torch::kFloat64));
    QVERIFY(std::abs(frechetDistance(a, a)) < 1e-8);
    // The same covariance, the mean moved by (1, 2, 0, ...): the distance is |shift|^2 = 5.
    const auto shift = torch::tensor({1.0, 2.0, 0.0, 0.0, 0.0, 0.0}, torch::kFloat64);
    QVERIFY(std::abs(frechetDistance(a, a + shift) - 5.0) < 1e-6);
    // Scaled by 2: the covariance term is tr(C) + tr(4C) - 2 tr(2C) = tr(C).
    const auto centred = a - a.mean(0);
    const double traceC = (centred.t().matmul(centred) / 399.0).trace().item<double>();
    QVERIFY(std::abs(frechetDistance(centred, 2 * centred) - traceC) < 1e-6);
  }

  void kernelDistanceOnTinySets() {
    // One feature, kernel (x y + 1)^3: X = {0, 0}, Y = {1, 1} gives 1 + 8 - 2 * 1 = 7.
    const auto x = torch::zeros({2, 1}, torch::kFloat64), y = torch::ones({2, 1}, torch::kFloat64);
    QVERIFY(std::abs(kernelDistance(x, y) - 7.0) < 1e-12);
    at::Generator g = makeGenerator(4);
    const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
    const auto p = torch::randn({300, 4}, g, opts), q = torch::randn({300, 4}, g, opts);
    QVERIFY(std::abs(kernelDistance(p, q)) < 0.05);  // same distribution: near zero
    QVERIFY(kernelDistance(p, q + 1.0) > 20 * std::abs(kernelDistance(p, q)) + 0.1);
  }
};

QTEST_APPLESS_MAIN(TestImageMetrics)
#include "test_image_metrics.moc"
