#include <QtTest>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "evaluation_report.h"

using namespace cfx;

namespace {

// A fine-tuning record as `cfx train cft` stores it, with a regional mechanism whose slopes would
// fill a screen if they were printed.
nlohmann::json posSegRecord() {
  nlohmann::json slopes = nlohmann::json::array();
  for (int cell = 0; cell < 64; ++cell) slopes.push_back({0.0123456789, -0.0009876543});
  return {{"guidance", "pos-seg"},
          {"region_layout", "grid"},
          {"region_weight", 0.1},
          {"regional_mechanism", {{"grid", 8}, {"slopes", {slopes}}}},
          {"locality_weight", 0.6},
          {"locality_region", "boundary"},
          {"locality_interior_weight", 0.1},
          {"locality_dilation", 3},
          {"intervention_values", "relative"},
          {"relative_change_min", 0.1},
          {"relative_change_max", 0.3},
          {"epsilon_nats_per_dim", 3.152876853942871},
          {"damping", 100.0},
          {"final_lambda", 1.1107348346710217}};
}

evaluation::CounterfactualEvaluation smallEvaluation() {
  evaluation::CounterfactualEvaluation e;
  e.metrics = {{"model", "/models/phantom"},
               {"data", "/data/phantom"},
               {"split", "all"},
               {"interventions", 40},
               {"seed", 1},
               {"fine_tuning", posSegRecord()}};
  e.effectiveness = {{"do(variable)", "n", "heart_area MAE", "MAPE of target"},
                     {{"heart_area", "8", "0.300", "3.64 %"}}};
  e.locality = {{"do(structure)", "n", "change outside R"}, {{"heart_area", "8", "0.630"}}};
  e.regionDilation = 3;
  e.cyclesRun = 5;
  e.composition1 = 0.0001;
  e.composition10 = std::nan("");
  e.frechetDistance = 46.3;
  e.kid = 0.1;
  e.nelboBitsPerDim = 4.5164;
  e.scatter.push_back({"heart_area", {8.0, 9.0}, {8.1, 8.8}});
  e.examples.push_back({RgbImage(8, 4, {255, 0, 0}), "Subject s1: do(heart_area = 9.00)"});
  return e;
}

}  // namespace

class TestEvaluationReport : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void recipeSaysTheSettingsInOneLine() {
    QCOMPARE(QString::fromStdString(evaluation::fineTuningRecipe(posSegRecord())),
             QString("guidance pos-seg, regions: 8 x 8 image cells with a fitted mechanism "
                     "(weight 0.1); locality 0.6 (boundary, interior 0.1, dilation 3 px); "
                     "interventions: relative 0.1-0.3; epsilon 3.1529 nats/dim, damping 100, "
                     "final lambda 1.111."));
    // The paper's Seg-CFT: no regions, no locality term.
    const nlohmann::json seg = {{"guidance", "seg"},
                                {"locality_weight", 0.0},
                                {"intervention_values", "batch"},
                                {"epsilon_nats_per_dim", 3.15},
                                {"damping", 100.0}};
    QCOMPARE(QString::fromStdString(evaluation::fineTuningRecipe(seg)),
             QString("guidance seg; interventions: batch; epsilon 3.1500 nats/dim, damping 100."));
  }

  void reportOpensWithFactsThenTablesThenFigures() {
    const std::string html = evaluation::htmlReport(smallEvaluation());
    const auto at = [&](const std::string& text) { return html.find(text); };
    // The facts table comes first and holds the recipe, not the raw record.
    QVERIFY(at("<table class=\"facts\">") != std::string::npos);
    QVERIFY(at("<table class=\"facts\">") < at("<h2>Effectiveness</h2>"));
    QVERIFY(at("guidance pos-seg, regions: 8 x 8") < at("<h2>Effectiveness</h2>"));
    QVERIFY(at("0.0123456789") == std::string::npos);
    QVERIFY(at("slopes") == std::string::npos);
    // Tables before the scatter plots, scatter plots before the example rows.
    QVERIFY(at("<h2>Effectiveness</h2>") < at("<h2>Locality</h2>"));
    QVERIFY(at("<h2>Locality</h2>") < at("<h2>Composition, reversibility and realism</h2>"));
    QVERIFY(at("<h2>Composition, reversibility and realism</h2>") < at("<svg"));
    QVERIFY(at("<svg") < at("<h2>Examples</h2>"));
    QVERIFY(at("<h2>Examples</h2>") < at("data:image/png;base64,"));
    // Nothing runs off the page: images scale down, wide tables scroll in their own box.
    QVERIFY(at("img{image-rendering:pixelated;max-width:100%;height:auto}") != std::string::npos);
    QVERIFY(at("<div class=\"wide\"><table>") != std::string::npos);
    // A statistic without samples is a dash, not "nan".
    QVERIFY(at("<td>composition L1, 10 null cycles</td><td>-</td>") != std::string::npos);
    QVERIFY(at("nan") == std::string::npos);
  }

  void consoleSummaryKeepsTheTablesAndTheirUnits() {
    const std::string text = evaluation::consoleSummary(smallEvaluation());
    QVERIFY(text.find("locality (L1 on 0-255; R = the structure before or after, dilated 3 px)") !=
            std::string::npos);
    QVERIFY(text.find("heart_area    8  0.300           3.64 %") != std::string::npos);
    QVERIFY(text.find("composition L1: 1 cycle 0.0001, 10 cycles - (first 5 interventions)") !=
            std::string::npos);
    QVERIFY(text.find("image NELBO of the HVAE on these images: 4.5164 bits/dim") !=
            std::string::npos);
  }
};

QTEST_MAIN(TestEvaluationReport)
#include "test_evaluation_report.moc"
