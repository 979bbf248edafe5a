#include <torch/torch.h>
#include <QtTest>

#include "counterfactual_fine_tuning.h"
#include "test_helpers.h"
#include "tiny_models.h"
#include "trainer.h"

using namespace cfx;

namespace {

// Eight plausible subjects (graph order: sex, age, heart, right lung, left lung).
torch::Tensor batchAttributes() {
  return torch::tensor({{0.0, 40.0, 8.5, 16.0, 14.5},
                        {1.0, 61.0, 9.8, 17.9, 15.2},
                        {0.0, 35.0, 8.1, 16.8, 15.0},
                        {1.0, 72.0, 10.4, 16.2, 14.1},
                        {0.0, 55.0, 9.0, 15.9, 14.6},
                        {1.0, 29.0, 9.1, 18.8, 16.0},
                        {0.0, 80.0, 9.9, 14.8, 13.2},
                        {1.0, 47.0, 9.6, 17.5, 15.3}},
                       torch::kFloat32);
}

torch::Tensor batchImages() {
  at::Generator g = makeGenerator(4);
  const auto smooth =
      torch::avg_pool2d(torch::rand({8, 1, 20, 20}, g, torch::TensorOptions()), 5, 1);
  return ((smooth * 2 - 1) * 127.5).round() / 127.5;
}

CftModels tinyModels() {
  torch::manual_seed(3);
  const auto graph = test::chestGraph();
  return {ScalarScm(graph, ScmConfig{}, test::chestStatistics()), Hvae(test::tinyHvaeConfig()),
          ParentEncoding::fit(graph, batchAttributes()), Segmentor(test::tinySegmentorConfig()),
          Predictor(test::tinyPredictorConfig())};
}

// The guidance loss of the batch's counterfactuals for fixed interventions and latent noise.
torch::Tensor guidanceOf(CounterfactualFineTuning& tuning, CftModels& models,
                         const CftInterventions& batch) {
  const auto graph = test::chestGraph();
  at::Generator g = makeGenerator(11);
  const auto images = batchImages();
  auto [elbo, abduction] =
      models.hvae->lossAndAbduction(images, models.parents.encode(batchAttributes(), graph), &g);
  const auto counterfactual =
      models.hvae->counterfactual(abduction, models.parents.encode(batch.counterfactual, graph));
  return tuning.guidanceLoss(counterfactual, images, batch, batchAttributes());
}

// The guidance reaches the HVAE's weights with the right sign and size: a small step against
// its gradient lowers the loss by what the first-order expansion predicts.
void checkGuidanceDescends(Guidance guidance, CftConfig config = {}) {
  CftModels models = tinyModels();
  config.guidance = guidance;
  CounterfactualFineTuning tuning(config, models, torch::kCPU);
  at::Generator g = makeGenerator(5);
  const auto batch = tuning.sampleInterventions(batchAttributes(), g);
  auto parameters = models.hvae->parameters();
  const auto before = guidanceOf(tuning, models, batch);
  before.backward();
  double squaredNorm = 0;
  for (const auto& p : parameters)
    if (p.grad().defined()) squaredNorm += p.grad().pow(2).sum().item<double>();
  QVERIFY2(squaredNorm > 0, "no gradient reaches the HVAE");
  const double step = 1e-3 / std::sqrt(squaredNorm);
  {
    torch::NoGradGuard noGrad;
    for (auto& p : parameters)
      if (p.grad().defined()) p.sub_(step * p.grad());
  }
  const double predicted = step * squaredNorm;  // first-order decrease
  const double actual = before.item<double>() - guidanceOf(tuning, models, batch).item<double>();
  QVERIFY2(actual > 0.5 * predicted && actual < 1.5 * predicted,
           qPrintable(QString("%1: decrease %2, first-order prediction %3")
                          .arg(QString::fromStdString(guidanceName(guidance)))
                          .arg(actual)
                          .arg(predicted)));
}

// Grid regions of 4 x 4 cells (4 x 4 pixels each on the 16-px tiny images) whose one mechanism is
// the heart's area in `cell` growing by `slope` percent per percent of heart area.
RegionalMechanism heartGrowsInCell(int64_t cell, double slope) {
  RegionalMechanism m;
  m.grid = 4;
  m.slopes = torch::zeros({3, 16, 5}, torch::kFloat64);  // tiny segmentor: heart is structure 2
  m.slopes[2][cell][2] = slope;                          // graph column 2: heart_area
  return m;
}

CftConfig gridRegions(RegionalMechanism mechanism) {
  CftConfig config;
  config.guidance = Guidance::PositionalSegmentor;
  config.regionLayout = "grid";
  config.regional = std::move(mechanism);
  return config;
}

// Tiny models whose segmentor sees one class everywhere: its head ignores the image and its bias
// picks `label` (0 background, 3 heart), so the structure masks are known exactly.
CftModels modelsSeeingOnly(int label) {
  CftModels models = tinyModels();
  torch::NoGradGuard noGrad;
  auto parameters = models.segmentor->named_parameters();
  parameters["unet.head.weight"].zero_();
  auto bias = torch::zeros({4});
  bias[label] = 5.0;
  parameters["unet.head.bias"].copy_(bias);
  return models;
}

// The same intervention on `column` for every row of the batch, values unchanged.
CftInterventions interveneEverywhere(CftModels& models, int64_t column) {
  CftInterventions batch;
  batch.mask = torch::zeros({8, 5}, torch::kBool);
  batch.mask.select(1, column).fill_(true);
  batch.counterfactual = batchAttributes();
  batch.affected = models.scm->affected(batch.mask);
  return batch;
}

// The locality term (weight 1) of `counterfactual` against the batch images.
double localityTerm(CftModels& models, const CftInterventions& batch,
                    const torch::Tensor& counterfactual, const std::string& region = "structure",
                    double interiorWeight = 1.0) {
  CftConfig config;
  config.guidance = Guidance::Segmentor;
  config.localityWeight = 1.0;
  config.localityRegion = region;
  config.localityInteriorWeight = interiorWeight;
  CounterfactualFineTuning tuning(config, models, torch::kCPU);
  std::map<std::string, double> scalars;
  tuning.guidanceLoss(counterfactual, batchImages(), batch, batchAttributes(), &scalars);
  return scalars.at("guide_locality");
}

// Structure 1 as a 5x5 square (rows and columns 2..6 of a 9x9 map) whose counterfactual loses
// its top row; the one intervention reaches it.
struct ShrinkingSquare {
  torch::Tensor factual, counterfactual, hit;
};

ShrinkingSquare shrinkingSquare() {
  auto factual = torch::zeros({1, 9, 9}, torch::kInt64);
  factual.slice(1, 2, 7).slice(2, 2, 7).fill_(1);
  auto counterfactual = factual.clone();
  counterfactual.select(1, 2).fill_(0);
  return {factual, counterfactual, torch::ones({1, 1}, torch::kBool)};
}

}  // namespace

class TestFineTuning : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { torch::set_num_threads(2); }

  void guidanceNamesRoundTrip() {
    for (const char* name : {"none", "reg", "seg", "pos-seg"})
      QCOMPARE(QString::fromStdString(guidanceName(parseGuidance(name, "test"))), QString(name));
    CFX_EXPECT_ERROR(parseGuidance("segmentation", "cli"), "cli", "guidance", "pos-seg");
    CftConfig config;
    config.guidance = Guidance::PositionalSegmentor;
    config.epsilon = 3.25;
    const auto back = CftConfig::fromJson(config.toJson(), "model.json");
    QCOMPARE(back.epsilon, 3.25);
    QVERIFY(back.guidance == Guidance::PositionalSegmentor);
    auto broken = config.toJson();
    broken.erase("damping");
    CFX_EXPECT_ERROR(CftConfig::fromJson(broken, "model.json"), "model.json", "damping");
    config.localityRegion = "boundary";
    QCOMPARE(QString::fromStdString(CftConfig::fromJson(config.toJson(), "m").localityRegion),
             QString("boundary"));
    const auto grid = gridRegions(heartGrowsInCell(7, 0.25));
    const auto gridBack = CftConfig::fromJson(grid.toJson(), "m");
    QCOMPARE(QString::fromStdString(gridBack.regionLayout), QString("grid"));
    QVERIFY(torch::equal(gridBack.regional.slopes, grid.regional.slopes));
    auto rings = grid.toJson();
    rings["region_layout"] = "rings";
    CFX_EXPECT_ERROR(CftConfig::fromJson(rings, "m"), "m", "region_layout", "bands or grid");
    auto unknownRegion = config.toJson();
    unknownRegion["locality_region"] = "everywhere";
    CFX_EXPECT_ERROR(CftConfig::fromJson(unknownRegion, "model.json"), "model.json",
                     "locality_region", "boundary");
    config.localityInteriorWeight = 0.2;
    QCOMPARE(CftConfig::fromJson(config.toJson(), "m").localityInteriorWeight, 0.2);
    auto negative = config.toJson();
    negative["locality_interior_weight"] = -1;
    CFX_EXPECT_ERROR(CftConfig::fromJson(negative, "model.json"), "model.json", "fine_tuning");
    config.smoothnessWeight = 0.5;
    QCOMPARE(CftConfig::fromJson(config.toJson(), "m").smoothnessWeight, 0.5);
    auto roughNegative = config.toJson();
    roughNegative["smoothness_weight"] = -0.1;
    CFX_EXPECT_ERROR(CftConfig::fromJson(roughNegative, "model.json"), "model.json", "fine_tuning");
    auto beforeSmoothness = config.toJson();  // model folders from before the term: off
    beforeSmoothness.erase("smoothness_weight");
    QCOMPARE(CftConfig::fromJson(beforeSmoothness, "m").smoothnessWeight, 0.0);
    config.interventionValues = "relative";
    config.relativeChangeMin = 0.05;
    config.relativeChangeMax = 0.25;
    const auto relative = CftConfig::fromJson(config.toJson(), "m");
    QCOMPARE(QString::fromStdString(relative.interventionValues), QString("relative"));
    QCOMPARE(relative.relativeChangeMin, 0.05);
    QCOMPARE(relative.relativeChangeMax, 0.25);
    auto older = config.toJson();  // a model folder from before the option trains as it did
    older.erase("intervention_values");
    QCOMPARE(QString::fromStdString(CftConfig::fromJson(older, "m").interventionValues),
             QString("batch"));
    auto unknownValues = config.toJson();
    unknownValues["intervention_values"] = "donor";
    CFX_EXPECT_ERROR(CftConfig::fromJson(unknownValues, "model.json"), "model.json",
                     "intervention_values", "relative");
    auto reversed = config.toJson();
    reversed["relative_change_min"] = 0.4;
    CFX_EXPECT_ERROR(CftConfig::fromJson(reversed, "model.json"), "model.json",
                     "relative_change_min", "min <= max");
  }

  void relativeInterventionsChangeTheObservedValueBySharesOfTheRange() {
    CftModels models = tinyModels();
    CftConfig config;
    config.interventionValues = "relative";
    config.relativeChangeMin = 0.1;
    config.relativeChangeMax = 0.3;
    CounterfactualFineTuning tuning(config, models, torch::kCPU);
    const auto attributes = batchAttributes();
    const auto graph = test::chestGraph();
    int structures = 0, ages = 0, larger = 0, smaller = 0;
    for (std::uint64_t seed = 0; seed < 12; ++seed) {
      at::Generator g = makeGenerator(seed);
      const auto batch = tuning.sampleInterventions(attributes, g);
      for (int64_t i = 0; i < 8; ++i) {
        const int64_t column = batch.mask[i].nonzero()[0][0].item<int64_t>();
        const double observed = attributes[i][column].item<double>();
        const double value = batch.counterfactual[i][column].item<double>();
        const Variable& variable = graph.variables()[size_t(column)];
        if (column == 0) {
          QCOMPARE(value, 1.0 - observed);  // binary: flipped as before
          continue;
        }
        // Structures scale by 10-30 %; age moves by 10-30 % of its 77-year range (7.7-23.1
        // years), unless the range's end stops it.
        const double share = variable.maskLabel ? std::abs(value / observed - 1.0)
                                                : std::abs(value - observed) / (95.0 - 18.0);
        const bool clamped = value == variable.min || value == variable.max;
        QVERIFY2(share <= 0.3 + 1e-5, qPrintable(QString::number(share)));
        QVERIFY2(clamped || share >= 0.1 - 1e-5, qPrintable(QString::number(share)));
        (variable.maskLabel ? structures : ages) += 1;
        (value > observed ? larger : smaller) += 1;
      }
    }
    // 96 draws: every kind of variable is seen, and both signs.
    QVERIFY(structures > 30 && ages > 8);
    QVERIFY(larger > 20 && smaller > 20);
  }

  void interventionsSetOneVariableAndPropagate() {
    CftModels models = tinyModels();
    CounterfactualFineTuning tuning({}, models, torch::kCPU);
    at::Generator g = makeGenerator(5);
    const auto attributes = batchAttributes();
    const auto batch = tuning.sampleInterventions(attributes, g);
    QVERIFY(batch.mask.sum(1).eq(1).all().item<bool>());
    const auto graph = test::chestGraph();
    for (int64_t i = 0; i < 8; ++i) {
      const int64_t column = batch.mask[i].nonzero()[0][0].item<int64_t>();
      const double value = batch.counterfactual[i][column].item<double>();
      if (column == 0) {
        QCOMPARE(value, 1.0 - attributes[i][0].item<double>());  // sex flipped
      } else {
        // Drawn from the batch: some subject has this value.
        QVERIFY((attributes.select(1, column) - value).abs().min().item<double>() < 1e-4);
      }
      // Everything the intervention cannot reach keeps its observed value exactly.
      for (int64_t v = 0; v < 5; ++v)
        if (!batch.affected[i][v].item<bool>())
          QCOMPARE(batch.counterfactual[i][v].item<double>(), attributes[i][v].item<double>());
      // Descendants are recomputed: do(heart) reaches the left lung, never the right one.
      if (column == 2) {
        QVERIFY(batch.affected[i][4].item<bool>());
        QVERIFY(!batch.affected[i][3].item<bool>());
      }
    }
  }

  void lambdaRisesWhileTheConstraintIsViolated() {
    CftModels models = tinyModels();
    CftConfig config;
    config.guidance = Guidance::None;
    config.epsilon = 0.0;  // far below any NELBO: violated
    config.lagrangeLearningRate = 0.01;
    config.damping = 2.0;
    config.initialLambda = 0.5;
    CounterfactualFineTuning tuning(config, models, torch::kCPU);
    double previous = tuning.lambda();
    for (int i = 0; i < 3; ++i) {
      at::Generator g = makeGenerator(1, uint64_t(i));
      const StepResult r = tuning.step(batchImages(), batchAttributes(), g);
      const double c = r.scalars.at("constraint");
      QVERIFY(c > 0);
      // loss = guide + (lambda + d * c) * c with the multiplier before the update; guide = 0.
      QVERIFY(std::abs(r.loss.item<double>() - (previous + 2.0 * c) * c) < 1e-4 * c * c + 1e-6);
      QVERIFY(std::abs(tuning.lambda() - (previous + 0.01 * c)) < 1e-9);
      previous = tuning.lambda();
    }
    // Satisfied with room to spare: the multiplier is pushed down and clamped at zero.
    config.epsilon = 1e4;
    CounterfactualFineTuning satisfied(config, tinyModels(), torch::kCPU);
    for (int i = 0; i < 3; ++i) {
      at::Generator g = makeGenerator(1, uint64_t(i));
      satisfied.step(batchImages(), batchAttributes(), g);
    }
    QCOMPARE(satisfied.lambda(), 0.0);
  }

  void everyGuidanceDescendsAlongItsGradient() {
    checkGuidanceDescends(Guidance::Regressor);
    checkGuidanceDescends(Guidance::Segmentor);
    checkGuidanceDescends(Guidance::PositionalSegmentor);
    checkGuidanceDescends(Guidance::PositionalSegmentor, gridRegions(heartGrowsInCell(5, 0.5)));
  }

  void gridRegionsChargeTheGrowthTheMechanismExpects() {
    CftModels models = tinyModels();
    CounterfactualFineTuning tuning(gridRegions(heartGrowsInCell(5, 0.5)), models, torch::kCPU);
    auto batch = interveneEverywhere(models, 2);  // do(heart) to its own value: no change
    std::map<std::string, double> scalars;
    tuning.guidanceLoss(batchImages(), batchImages(), batch, batchAttributes(), &scalars);
    QVERIFY(scalars.at("guide_regions") < 1e-6);
    // Every heart one point larger, the image unchanged: cell 5 lacks 0.5 points of heart in
    // every row, charged in units of the heart area's standard deviation.
    batch.counterfactual.select(1, 2).add_(1.0);
    tuning.guidanceLoss(batchImages(), batchImages(), batch, batchAttributes(), &scalars);
    const double expected = 0.5 / models.scm->statistics()[2].std;
    QVERIFY2(std::abs(scalars.at("guide_regions") - expected) < 1e-4 * expected,
             qPrintable(QString("%1 vs %2").arg(scalars.at("guide_regions")).arg(expected)));

    CFX_EXPECT_ERROR(CounterfactualFineTuning(gridRegions({}), models, torch::kCPU),
                     "regional_mechanism", "fitted");
    auto coarse = heartGrowsInCell(5, 0.5);
    coarse.grid = 3;  // 16 px do not split into 3 cells
    CFX_EXPECT_ERROR(CounterfactualFineTuning(gridRegions(coarse), models, torch::kCPU),
                     "regional_mechanism.grid", "divisor");
    auto fewVariables = heartGrowsInCell(5, 0.5);
    fewVariables.slopes = fewVariables.slopes.slice(2, 0, 4);
    CFX_EXPECT_ERROR(CounterfactualFineTuning(gridRegions(fewVariables), models, torch::kCPU),
                     "regional_mechanism.slopes", "5 variables");
  }

  void measuredAreaTargetsAskForTheIntendedRatioOfWhatTheSegmentorSees() {
    CftModels models = tinyModels();
    const auto images = batchImages();
    double seen = 0;  // the tiny segmentor's mean heart area on the batch, far from the records
    {
      torch::NoGradGuard noGrad;
      const auto& structures = models.segmentor->config().structures;
      const auto heart = std::find_if(structures.begin(), structures.end(),
                                      [](const auto& s) { return s.variable == "heart_area"; });
      seen = SegmentorImpl::softAreas(models.segmentor->probabilities(images))
                 .select(1, heart - structures.begin())
                 .mean()
                 .item<double>();
    }
    const double heartStd = models.scm->statistics()[2].std;
    auto termsOf = [&](const std::string& targets, double scale, double weight) {
      CftConfig config;
      config.guidance = Guidance::Segmentor;
      config.areaTargets = targets;
      config.areaWeight = weight;
      CounterfactualFineTuning tuning(config, models, torch::kCPU);
      auto batch = interveneEverywhere(models, 2);
      batch.counterfactual.select(1, 2).mul_(scale);
      std::map<std::string, double> scalars;
      const double loss =
          tuning.guidanceLoss(images, images, batch, batchAttributes(), &scalars).item<double>();
      return std::pair{scalars.at("guide_heart_area"), loss};
    };
    // An unedited image under do(heart) to its own value: the recorded target charges the
    // segmentor's misreading of the records; the measured one charges nothing.
    QVERIFY(termsOf("recorded", 1.0, 1.0).first > 0.1);
    QVERIFY(termsOf("measured", 1.0, 1.0).first < 1e-6);
    // Hearts to be 20 % larger, the image unchanged: 0.2 of what the segmentor sees is missing.
    const double expected = 0.2 * seen / heartStd;
    const auto [term, loss] = termsOf("measured", 1.2, 1.0);
    QVERIFY2(std::abs(term - expected) < 1e-4 * expected,
             qPrintable(QString("%1 vs %2").arg(term).arg(expected)));
    // The area weight scales the structures' terms in the loss, not the logged terms.
    const auto [termWeighted, lossWeighted] = termsOf("measured", 1.2, 3.0);
    QCOMPARE(termWeighted, term);
    // (The lungs keep their measured areas, so the heart is the only structure term.)
    QVERIFY2(std::abs(lossWeighted - loss - 2 * term) < 1e-4 * (1 + term),
             qPrintable(QString("%1 - %2 vs %3").arg(lossWeighted).arg(loss).arg(2 * term)));

    CftConfig json;
    json.areaTargets = "measured";
    json.areaWeight = 2.5;
    const auto back = CftConfig::fromJson(json.toJson(), "test");
    QCOMPARE(back.areaTargets, std::string("measured"));
    QCOMPARE(back.areaWeight, 2.5);
    auto old = json.toJson();
    old.erase("area_targets");
    QCOMPARE(CftConfig::fromJson(old, "test").areaTargets, std::string("recorded"));
    old["area_targets"] = "guessed";
    CFX_EXPECT_ERROR(CftConfig::fromJson(old, "test"), "area_targets", "recorded or measured");
  }

  void guidanceTermsFollowTheKind() {
    CftModels models = tinyModels();
    for (Guidance guidance :
         {Guidance::Regressor, Guidance::Segmentor, Guidance::PositionalSegmentor}) {
      CftConfig config;
      config.guidance = guidance;
      CounterfactualFineTuning tuning(config, models, torch::kCPU);
      at::Generator g = makeGenerator(5);
      const auto r = tuning.step(batchImages(), batchAttributes(), g);
      // Age and sex are always judged by the predictors; areas by the segmentor except in
      // Reg-CFT; only Pos-Seg-CFT has regional terms.
      QVERIFY(r.scalars.count("guide_age") && r.scalars.count("guide_sex"));
      QVERIFY(r.scalars.count("guide_heart_area"));
      QCOMPARE(r.scalars.count("guide_regions") == 1, guidance == Guidance::PositionalSegmentor);
      double sum = 0;
      for (const auto& [k, v] : r.scalars)
        if (k.rfind("guide_", 0) == 0) sum += v;
      QVERIFY(std::abs(sum - r.scalars.at("guide")) < 1e-4 * (1 + sum));
    }
  }

  // A change that is the same everywhere is smooth; a band costs its two edges; speckle costs
  // every step. Grey levels of 255 for images in [-1, 1].
  void editRoughnessChargesSpeckleMoreThanABand() {
    at::Generator g = makeGenerator(6);
    const auto factual = torch::rand({2, 1, 8, 8}, g, torch::TensorOptions()) * 2 - 1;
    const double level = 4.0 / 127.5;
    // +1 and -1 alternating along rows and columns, [size, size].
    const auto checkerboard = [](int64_t size) {
      const auto rows = torch::arange(size).view({size, 1}), columns = torch::arange(size);
      return ((rows + columns) % 2 * 2 - 1).to(torch::kFloat32);
    };
    QVERIFY(editRoughness(factual + level, factual).item<double>() < 1e-4);
    auto band = factual.clone();
    band.slice(2, 2, 4).add_(level);  // rows 2-3 brighter: 2 steps of 4 in each of 8 columns
    QVERIFY(std::abs(editRoughness(band, factual).item<double>() - 64.0 / 56.0 / 2.0) < 1e-4);
    QVERIFY(std::abs(editRoughness(factual + checkerboard(8) * level, factual).item<double>() -
                     8.0) < 1e-4);
    // In a fine-tuning step it is one weighted guidance term, whatever the guidance: a
    // checkerboard of ±1 grey level has roughness 2.
    CftModels models = tinyModels();
    const auto counterfactual = batchImages() + checkerboard(16) * (level / 4);
    for (Guidance guidance : {Guidance::Regressor, Guidance::Segmentor}) {
      CftConfig config;
      config.guidance = guidance;
      config.smoothnessWeight = 2.0;
      CounterfactualFineTuning tuning(config, models, torch::kCPU);
      const auto batch = interveneEverywhere(models, 2);
      std::map<std::string, double> scalars;
      const double guide =
          tuning.guidanceLoss(counterfactual, batchImages(), batch, batchAttributes(), &scalars)
              .item<double>();
      QVERIFY(std::abs(scalars.at("guide_roughness") - 2.0) < 1e-3);
      double others = 0;
      for (const auto& [k, v] : scalars)
        if (k.rfind("guide_", 0) == 0 && k != "guide_roughness") others += v;
      QVERIFY2(std::abs(guide - others - 2.0 * 2.0) < 1e-3 * (1 + guide),
               qPrintable(QString("%1 %2").arg(guide).arg(others)));
    }
  }

  void localityTermCountsChangeOutsideTheStructures() {
    // A segmentor that sees only background: no structure region, every pixel is outside.
    CftModels models = modelsSeeingOnly(0);
    const auto shifted = batchImages() + 4.0 / 127.5;  // every pixel 4 grey levels brighter
    for (int64_t column : {2, 0}) {                    // do(heart) for every row, then do(sex)
      const auto batch = interveneEverywhere(models, column);
      QVERIFY(std::abs(localityTerm(models, batch, batchImages())) < 1e-6);  // nothing changed
      // A structure intervention is charged the 4 levels outside its region; an intervention on
      // sex may change every pixel and is not charged.
      const double charge = localityTerm(models, batch, shifted);
      QVERIFY2(std::abs(charge - (column == 2 ? 4.0 : 0.0)) < 1e-3,
               qPrintable(QString::number(charge)));
    }
  }

  void localityRegionIsTheAffectedStructure() {
    // A segmentor that sees heart everywhere (class 3 = structures[2] = heart_area).
    CftModels models = modelsSeeingOnly(3);
    for (const auto& [column, expected] : {std::pair{2L, 0.0}, std::pair{3L, 4.0}}) {
      // do(heart): the heart covers the image, nothing is outside; do(right lung): the heart is
      // not affected, so its pixels are outside the region and charged.
      const double charge =
          localityTerm(models, interveneEverywhere(models, column), batchImages() + 4.0 / 127.5);
      QVERIFY2(std::abs(charge - expected) < 1e-3, qPrintable(QString::number(charge)));
    }
  }

  void localityRegionOfAShrinkingSquare() {
    auto [factual, counterfactual, hit] = shrinkingSquare();
    // Anywhere inside the structure: the square; dilated by one pixel: 7x7.
    QCOMPARE(localityRegion(factual, counterfactual, hit, "structure", 0).sum().item<double>(),
             25.0);
    QCOMPARE(localityRegion(factual, counterfactual, hit, "structure", 1).sum().item<double>(),
             49.0);
    // Near the border only: the square's own rim (16) and the ring around it (24); the lost row
    // is part of the rim. The 3x3 core keeps its appearance.
    const auto boundary = localityRegion(factual, counterfactual, hit, "boundary", 0);
    QCOMPARE(boundary.sum().item<double>(), 40.0);
    QCOMPARE(boundary.slice(1, 3, 6).slice(2, 3, 6).sum().item<double>(), 0.0);
    // A class change counts even away from the factual border: a core pixel that is lost.
    counterfactual[0][4][4] = 0;
    QCOMPARE(localityRegion(factual, counterfactual, hit, "boundary", 0)[0][4][4].item<double>(),
             1.0);
    // A structure the intervention does not reach allows nothing.
    QCOMPARE(
        localityRegion(factual, counterfactual, torch::zeros({1, 1}, torch::kBool), "boundary", 2)
            .sum()
            .item<double>(),
        0.0);
  }

  void boundaryLocalityChargesAStructureThatChangesInside() {
    // The heart covers the image and stays where it is: brightening it is free when the whole
    // structure may change, charged in full when only its border may.
    CftModels models = modelsSeeingOnly(3);
    const auto batch = interveneEverywhere(models, 2);
    const auto brighter = batchImages() + 4.0 / 127.5;
    QVERIFY(std::abs(localityTerm(models, batch, brighter, "structure")) < 1e-3);
    QVERIFY(std::abs(localityTerm(models, batch, brighter, "boundary") - 4.0) < 1e-3);
    // Charging the structure's own tissue at a quarter: 4 levels on every pixel cost 1.
    QVERIFY(std::abs(localityTerm(models, batch, brighter, "boundary", 0.25) - 1.0) < 1e-3);
  }

  void interiorWeightChargesTheCoreOfTheIntervenedStructure() {
    // The shrinking square of localityRegionOfAShrinkingSquare: its rim and the ring around it
    // (40 px) are free, its 3x3 core is charged at the interior weight, the remaining 32 pixels
    // of the 9x9 map in full.
    const auto [factual, counterfactual, hit] = shrinkingSquare();
    const auto charge = localityCharge(factual, counterfactual, hit, hit, "boundary", 0, 0.25);
    QCOMPARE(charge.sum().item<double>(), 32 + 9 * 0.25);
    QCOMPARE(charge[0][4][4].item<double>(), 0.25);
    QCOMPARE(charge[0][0][0].item<double>(), 1.0);
    QCOMPARE(charge[0][2][4].item<double>(), 0.0);
    // Weight 1 is the plain complement of the region.
    QCOMPARE(
        localityCharge(factual, counterfactual, hit, hit, "boundary", 0, 1.0).sum().item<double>(),
        81.0 - 40.0);
    // A descendant (affected, not intervened on) may move its border but pays in full for its core.
    const auto none = torch::zeros({1, 1}, torch::kBool);
    const auto descendant = localityCharge(factual, counterfactual, hit, none, "boundary", 0, 0.25);
    QCOMPARE(descendant.sum().item<double>(), 81.0 - 40.0);
    QCOMPARE(descendant[0][2][4].item<double>(), 0.0);
  }

  void frozenNetworksDoNotLearn() {
    CftModels models = tinyModels();
    const auto segmentorBefore = models.segmentor->parameters()[0].clone();
    CftConfig config;
    config.guidance = Guidance::Segmentor;
    config.epsilon = 1e4;
    CounterfactualFineTuning tuning(config, models, torch::kCPU);
    at::Generator g = makeGenerator(5);
    tuning.step(batchImages(), batchAttributes(), g).loss.backward();
    QVERIFY(torch::equal(segmentorBefore, models.segmentor->parameters()[0]));
    for (const auto& p : models.segmentor->parameters()) QVERIFY(!p.requires_grad());
    for (const auto& p : models.predictor->parameters()) QVERIFY(!p.requires_grad());
  }
};

QTEST_APPLESS_MAIN(TestFineTuning)
#include "test_fine_tuning.moc"
