#include <torch/torch.h>
#include <QtTest>

#include "regional_mechanism.h"
#include "test_helpers.h"
#include "trainer.h"

using namespace cfx;

namespace {

// One-hot probabilities [1, 3, 8, 8]: structure 1 fills rows 0-3 of columns 0-1 (8 pixels, all
// in the top-left cell of a 2 x 2 grid); structure 2 fills rows 3-4 of columns 2-5 (8 pixels, 2
// in each of the four cells).
torch::Tensor twoStructures() {
  auto classes = torch::zeros({1, 8, 8}, torch::kInt64);
  classes.slice(1, 0, 4).slice(2, 0, 2).fill_(1);
  classes.slice(1, 3, 5).slice(2, 2, 6).fill_(2);
  return torch::one_hot(classes, 3).permute({0, 3, 1, 2}).to(torch::kFloat32);
}

}  // namespace

class TestRegionalMechanism : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { torch::set_num_threads(2); }

  void gridAreasCountEachCellInPercentOfTheImage() {
    const auto cells = gridAreas(twoStructures(), 2);  // [1, 2, 4]
    QCOMPARE(cells.sizes().vec(), (std::vector<int64_t>{1, 2, 4}));
    const double pixel = 100.0 / 64.0;
    const std::vector<double> first = {8 * pixel, 0, 0, 0},
                              second = {2 * pixel, 2 * pixel, 2 * pixel, 2 * pixel};
    for (int64_t c = 0; c < 4; ++c) {
      QVERIFY(std::abs(cells[0][0][c].item<double>() - first[size_t(c)]) < 1e-5);
      QVERIFY(std::abs(cells[0][1][c].item<double>() - second[size_t(c)]) < 1e-5);
    }
    // One cell is the whole image: the structure's area.
    QVERIFY(std::abs(gridAreas(twoStructures(), 1)[0][1][0].item<double>() - 8 * pixel) < 1e-5);
    CFX_EXPECT_ERROR(gridAreas(twoStructures(), 3), "grid", "divisor", "8 x 8");
  }

  void fitRecoversKnownLinearMechanisms() {
    // 40 subjects, 3 variables: binary, years, percent; a fourth that never varies.
    at::Generator g = makeGenerator(2);
    const auto binary = torch::randint(0, 2, {40, 1}, g, torch::kFloat64);
    const auto years = 20 + 60 * torch::rand({40, 1}, g, torch::kFloat64);
    const auto percent = 8 + 3 * torch::rand({40, 1}, g, torch::kFloat64);
    const auto constant = torch::full({40, 1}, 5.0, torch::kFloat64);
    const auto x = torch::cat({binary, years, percent, constant}, 1);
    // Two structures x four cells; cell = intercept + slopes . x, exactly.
    const auto slopes =
        torch::tensor({0.5, -0.01, 0.3, 0.0,  0.0,   0.02, -0.2,  0.0, 1.0, 0.0, 0.0,
                       0.0, 0.0,   0.0, 0.25, 0.0,   -0.3, 0.005, 0.1, 0.0, 0.0, 0.0,
                       0.0, 0.0,   0.2, 0.01, -0.05, 0.0,  0.0,   0.0, 0.4, 0.0},
                      torch::kFloat64)
            .reshape({2, 4, 4});
    const auto cells = 2.0 + torch::einsum("nv,scv->nsc", {x, slopes});
    const auto m = RegionalMechanism::fit(cells.to(torch::kFloat32), x, 2);
    QCOMPARE(m.grid, int64_t(2));
    QVERIFY2(torch::allclose(m.slopes, slopes, 1e-4, 2e-4),
             qPrintable(QString::number((m.slopes - slopes).abs().max().item<double>())));
    QCOMPARE(m.explainedVariance.size(), size_t(2));
    for (double r2 : m.explainedVariance) QVERIFY(r2 > 0.9999 && r2 <= 1.0);
    // Noise the parents cannot explain lowers R^2 but leaves the slopes about right.
    const auto noisy = cells + 0.05 * torch::randn(cells.sizes(), g, torch::kFloat64);
    const auto n = RegionalMechanism::fit(noisy, x, 2);
    for (double r2 : n.explainedVariance) QVERIFY(r2 < 0.9999 && r2 > 0.3);
    CFX_EXPECT_ERROR(RegionalMechanism::fit(cells, x, 3), "fit", "grid * grid");
  }

  void counterfactualCellsMoveBySlopesTimesTheChange() {
    RegionalMechanism m;
    m.grid = 1;
    m.slopes = torch::tensor({0.5, 2.0, -1.0, 0.0}, torch::kFloat64).reshape({2, 1, 2});
    const auto factualCells = torch::tensor({3.0, 4.0}, torch::kFloat32).reshape({1, 2, 1});
    const auto parents = torch::tensor({{1.0, 10.0}}, torch::kFloat32);
    // No change: the factual cells (abduction keeps the noise).
    QVERIFY(torch::equal(m.counterfactualCells(factualCells, parents, parents), factualCells));
    const auto moved = torch::tensor({{3.0, 9.0}}, torch::kFloat32);  // +2 and -1
    const auto cf = m.counterfactualCells(factualCells, parents, moved);
    QVERIFY(std::abs(cf[0][0][0].item<double>() - (3.0 + 0.5 * 2 - 2.0)) < 1e-6);
    QVERIFY(std::abs(cf[0][1][0].item<double>() - (4.0 - 1.0 * 2)) < 1e-6);
  }

  void jsonRoundTripAndValidation() {
    RegionalMechanism m;
    m.grid = 2;
    m.slopes = torch::arange(24, torch::kFloat64).reshape({2, 4, 3}) / 7.0;
    m.explainedVariance = {0.25, 0.5};
    const auto json = m.toJson();
    const auto back = RegionalMechanism::fromJson(json, "model.json");
    QCOMPARE(back.grid, int64_t(2));
    QVERIFY(torch::equal(back.slopes, m.slopes));
    QCOMPARE(back.explainedVariance, m.explainedVariance);

    auto wrongGrid = json;
    wrongGrid["grid"] = 3;  // 9 cells expected, 4 stored
    CFX_EXPECT_ERROR(RegionalMechanism::fromJson(wrongGrid, "model.json"), "model.json",
                     "regional_mechanism.slopes", "9 cells");
    auto ragged = json;
    ragged["slopes"][1][2] = {1.0, 2.0};
    CFX_EXPECT_ERROR(RegionalMechanism::fromJson(ragged, "model.json"), "model.json",
                     "3 slopes per cell");
    auto missing = json;
    missing.erase("slopes");
    CFX_EXPECT_ERROR(RegionalMechanism::fromJson(missing, "model.json"), "model.json",
                     "regional_mechanism", "slopes");
    auto text = json;
    text["slopes"][0][0][0] = "x";
    CFX_EXPECT_ERROR(RegionalMechanism::fromJson(text, "model.json"), "model.json",
                     "regional_mechanism");
  }
};

QTEST_APPLESS_MAIN(TestRegionalMechanism)
#include "test_regional_mechanism.moc"
