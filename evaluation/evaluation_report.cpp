#include "evaluation_report.h"

#include <cmath>
#include <filesystem>

#include "atomic_file.h"
#include "html_report.h"
#include "png_io.h"
#include "staged_output.h"
#include "text_format.h"

namespace cfx::evaluation {
namespace {

namespace fs = std::filesystem;

// Each column as wide as its longest cell plus a gap, so long headers never run together.
std::string textTable(const TextTable& table) {
  std::vector<int> widths(table.header.size());
  for (size_t c = 0; c < table.header.size(); ++c) widths[c] = int(table.header[c].size()) + 2;
  for (const auto& row : table.rows)
    for (size_t c = 0; c < row.size() && c < widths.size(); ++c)
      widths[c] = std::max(widths[c], int(row[c].size()) + 2);
  std::string text;
  const auto addRow = [&](const std::vector<std::string>& cells) {
    for (size_t c = 0; c < cells.size(); ++c)
      text += formatText("%-*s", c < widths.size() ? widths[c] : 0, cells[c].c_str());
    text += "\n";
  };
  addRow(table.header);
  for (const auto& row : table.rows) addRow(row);
  return text + "\n";
}

std::string setting(const nlohmann::json& json, const char* key, const char* spec) {
  return json.contains(key) && json[key].is_number() ? formatText(spec, json[key].get<double>())
                                                     : "?";
}

std::string text(const nlohmann::json& json, const char* key) {
  return json.contains(key) && json[key].is_string() ? json[key].get<std::string>() : "?";
}

}  // namespace

std::string consoleSummary(const CounterfactualEvaluation& e) {
  std::string out =
      "effectiveness: measured on the counterfactual against the SCM's counterfactual "
      "value (areas in pp by the evaluation segmentor, age in years, sex accuracy).\n"
      "MAPE of change: the measured ratio counterfactual / input against the intended ratio (the\n"
      "segmentor's misreading of the recorded area cancels); of input: what no edit scores; of\n"
      "measurement: the input's reading against its recorded area (the floor under MAPE of\n"
      "target)\n";
  out += textTable(e.effectiveness);
  out += formatText("locality (L1 on 0-255; R = the structure before or after, dilated %lld px)\n",
                    static_cast<long long>(e.regionDilation));
  out += textTable(e.locality);
  if (e.hasTruth()) {
    out += "against the phantom's true counterfactual (L1 on 0-255)\n";
    out += textTable(e.truth);
  }
  out += formatText("composition L1: 1 cycle %.4f, 10 cycles %s (first %lld interventions)\n",
                    e.composition1, formatCell(e.composition10, "%.4f").c_str(),
                    static_cast<long long>(e.cyclesRun));
  out += formatText(
      "realism on evaluation-segmentor features (not comparable to published FID): "
      "Frechet distance %.4f, KID %.5f\n",
      e.frechetDistance, e.kid);
  out += formatText("image NELBO of the HVAE on these images: %.4f bits/dim\n", e.nelboBitsPerDim);
  return out;
}

std::string fineTuningRecipe(const nlohmann::json& f) {
  const std::string guidance = text(f, "guidance");
  std::string recipe = "guidance " + guidance;
  if (guidance == "pos-seg") {
    if (text(f, "region_layout") == "grid" && f.contains("regional_mechanism"))
      recipe += ", regions: " + setting(f["regional_mechanism"], "grid", "%.0f") + " x " +
                setting(f["regional_mechanism"], "grid", "%.0f") +
                " image cells with a fitted mechanism";
    else
      recipe += ", regions: " + text(f, "region_layout");
    recipe += " (weight " + setting(f, "region_weight", "%g") + ")";
  }
  if (f.value("locality_weight", 0.0) > 0)
    recipe += "; locality " + setting(f, "locality_weight", "%g") + " (" +
              text(f, "locality_region") + ", interior " +
              setting(f, "locality_interior_weight", "%g") + ", dilation " +
              setting(f, "locality_dilation", "%.0f") + " px)";
  recipe += "; interventions: " + text(f, "intervention_values");
  if (text(f, "intervention_values") == "relative")
    recipe += " " + setting(f, "relative_change_min", "%g") + "-" +
              setting(f, "relative_change_max", "%g");
  recipe += "; epsilon " + setting(f, "epsilon_nats_per_dim", "%.4f") + " nats/dim, damping " +
            setting(f, "damping", "%g");
  if (f.contains("final_lambda")) recipe += ", final lambda " + setting(f, "final_lambda", "%.3f");
  return recipe + ".";
}

std::string htmlReport(const CounterfactualEvaluation& e) {
  const nlohmann::json& m = e.metrics;
  const std::string model = m.value("model", "");
  report::HtmlReport html("Counterfactual evaluation: " + fs::path(model).filename().string());
  std::vector<std::pair<std::string, std::string>> facts{
      {"model", model},
      {"data", m.value("data", "") + " (split " + m.value("split", "") + ")"},
      {"interventions", std::to_string(m.value("interventions", 0L)) + ", seed " +
                            std::to_string(m.value("seed", 0L))}};
  facts.push_back({"fine-tuning", m.contains("fine_tuning") ? fineTuningRecipe(m["fine_tuning"])
                                                            : "none (the pretrained HVAE)"});
  html.facts(facts);
  if (m.contains("fine_tuning"))
    html.paragraph("The full fine-tuning record (with the regional mechanism) is in metrics.json.");

  html.heading("Effectiveness");
  html.paragraph(
      "Rows: the intervened variable. Columns: each variable measured on the "
      "counterfactual (areas by the independent evaluation segmentor, in percentage "
      "points; age in years by the predictor; sex as accuracy) against the value the "
      "SCM gives it. Non-intervened variables should not move.");
  html.table(e.effectiveness.header, e.effectiveness.rows);
  html.heading("Locality");
  html.paragraph(
      "Mean absolute change (0-255) inside and outside the intervened structure's "
      "region (its mask before or after the edit, dilated " +
      std::to_string(e.regionDilation) +
      " px), the change outside the region of that structure and of every structure that "
      "descends from it in the graph (the edit's causal reach: do(heart) may move the left "
      "lung's border), the same for the true counterfactual, and the drift of non-descendant "
      "structure areas (pp).");
  html.table(e.locality.header, e.locality.rows);
  html.heading("Composition, reversibility and realism");
  html.table({"measure", "value"},
             {{"composition L1, 1 null cycle", formatCell(e.composition1, "%.4f")},
              {"composition L1, 10 null cycles", formatCell(e.composition10, "%.4f")},
              {"Frechet distance (evaluation-segmentor features; not FID)",
               formatCell(e.frechetDistance, "%.4f")},
              {"KID (evaluation-segmentor features)", formatCell(e.kid, "%.5f")},
              {"image NELBO of the HVAE (bits/dim)", formatCell(e.nelboBitsPerDim, "%.4f")}});
  if (e.hasTruth()) {
    html.heading("Against the true counterfactual (phantom)");
    html.table(e.truth.header, e.truth.rows);
  }
  if (!e.scatter.empty()) {
    html.heading("Measured against target areas");
    for (const auto& s : e.scatter)
      html.svg(report::scatterPlotSvg(s.targets, s.achieved, "do(" + s.variable + ")",
                                      "target area (%)", "measured area (%)"));
  }
  html.heading("Examples");
  for (const auto& example : e.examples) html.image(io::encodeRgbPng(example.row), example.caption);
  return html.html();
}

void writeEvaluation(const CounterfactualEvaluation& evaluation, const std::string& reportDir) {
  // The page and its metrics appear together (a report never pairs with another run's metrics).
  const std::string json = evaluation.metrics.dump(2) + "\n", page = htmlReport(evaluation);
  io::StagedOutput staged(reportDir);
  io::writeFileAtomically(staged.stagingPath("metrics.json"),
                          std::vector<unsigned char>(json.begin(), json.end()));
  io::writeFileAtomically(staged.stagingPath("report.html"),
                          std::vector<unsigned char>(page.begin(), page.end()));
  staged.commit();
}

}  // namespace cfx::evaluation
