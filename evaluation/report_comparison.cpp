#include "report_comparison.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "validation_error.h"

namespace cfx::evaluation {
namespace {

namespace fs = std::filesystem;

nlohmann::json readMetrics(const std::string& reportDir) {
  const fs::path file = fs::path(reportDir) / "metrics.json";
  std::ifstream in(file);
  if (!in) throw ValidationError(file.string(), "file", "not found: run cfx evaluate first");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw ValidationError(file.string(), "json", e.what());
  }
}

// A value at a JSON pointer, formatted; "-" where the report does not have it.
std::string cell(const nlohmann::json& metrics, const std::string& pointer, double scale,
                 const char* spec) {
  const nlohmann::json::json_pointer at(pointer);
  if (!metrics.contains(at) || !metrics.at(at).is_number()) return "-";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, spec, metrics.at(at).get<double>() * scale);
  return buffer;
}

}  // namespace

std::string compareReports(const std::vector<std::string>& dirs) {
  std::vector<nlohmann::json> reports;
  for (const auto& d : dirs) reports.push_back(readMetrics(d));
  for (size_t i = 1; i < reports.size(); ++i)
    for (const char* key : {"data", "split", "interventions", "seed"})
      if (reports[i].value(key, nlohmann::json()) != reports[0].value(key, nlohmann::json()))
        throw ValidationError(dirs[i] + "/metrics.json", key,
                              "differs from " + dirs[0] +
                                  ": the models were not evaluated on "
                                  "the same sample");

  // Structures in the graph's order where the report records it (JSON objects sort by name).
  const auto& byIntervention = reports[0].at("by_intervention");
  std::vector<std::string> order;
  if (reports[0].contains("variables"))
    order = reports[0]["variables"].get<std::vector<std::string>>();
  else
    for (const auto& [name, entry] : byIntervention.items()) order.push_back(name);
  std::vector<std::string> structures;
  for (const auto& name : order)
    if (byIntervention.contains(name) && byIntervention[name].contains("locality"))
      structures.push_back(name);
  std::vector<std::pair<std::string, std::vector<std::string>>> columns;  // header, cells
  const auto add = [&](const std::string& header, const std::string& pointer, double scale,
                       const char* spec) {
    std::vector<std::string> cells;
    for (const auto& r : reports) cells.push_back(cell(r, pointer, scale, spec));
    columns.push_back({header, cells});
  };
  for (const auto& s : structures)
    add(s + " MAPE %", "/by_intervention/" + s + "/measured/" + s + "/mape", 100, "%.2f");
  for (const auto& s : structures)
    add(s + " MAPE of change %", "/by_intervention/" + s + "/measured/" + s + "/mape_of_change",
        100, "%.2f");
  for (const auto& s : structures)
    add(s + " outside L1", "/by_intervention/" + s + "/locality/outside_l1", 1, "%.3f");
  // Where the graph lets a structure move others (do(heart) moves the left lung), also the change
  // beyond all of them: the leak the causal graph does not explain.
  const auto hasDescendants = [&](const std::string& s) {
    const auto pointer =
        nlohmann::json::json_pointer("/by_intervention/" + s + "/locality/descendant_structures");
    for (const auto& r : reports)
      if (r.contains(pointer) && !r.at(pointer).empty()) return true;
    return false;
  };
  for (const auto& s : structures)
    if (hasDescendants(s))
      add(s + " outside R+descendants L1",
          "/by_intervention/" + s + "/locality/outside_descendants_l1", 1, "%.3f");
  for (const auto& s : structures)
    add(s + " L1 to truth", "/by_intervention/" + s + "/truth/l1", 1, "%.3f");
  add("age MAE (y)", "/by_intervention/age/measured/age/mae", 1, "%.2f");
  add("sex accuracy", "/by_intervention/sex/measured/sex/accuracy", 1, "%.3f");
  add("composition 1", "/composition_l1_1_cycle", 1, "%.3f");
  add("composition 10", "/composition_l1_10_cycles", 1, "%.3f");
  add("FD (own features)", "/realism_frechet_distance_eval_segmentor_features", 1, "%.3f");
  add("NELBO bits/dim", "/image_nelbo_bits_per_dim", 1, "%.4f");

  std::string table = "| model |";
  for (const auto& [h, c] : columns) table += " " + h + " |";
  table += "\n|---|";
  for (size_t i = 0; i < columns.size(); ++i) table += "---|";
  table += "\n";
  for (size_t r = 0; r < reports.size(); ++r) {
    // The model folder's name, not the report's: that is what a reader recognises.
    std::string name = fs::path(reports[r].value("model", dirs[r])).filename().string();
    if (name.empty()) name = dirs[r];
    if (reports[r].contains("fine_tuning"))
      name += " (" + reports[r]["fine_tuning"].value("guidance", "?") + ")";
    table += "| " + name + " |";
    for (const auto& [h, c] : columns) table += " " + c[r] + " |";
    table += "\n";
  }
  // Two references on phantom data, model-independent (the same sample for every report): the
  // unedited input (no change at all) and the true counterfactual, scored as if it were a model's.
  if (!structures.empty() && byIntervention[structures[0]].contains("truth")) {
    // Any report serves (same sample, checked above); the newest format has the most of the
    // references (the truth's locality, then the measured MAPE of the input and the truth).
    const auto referencesIn = [&](const nlohmann::json& r) {
      const std::string at = "/by_intervention/" + structures[0];
      int n = 0;
      for (const char* key :
           {"/locality/true_counterfactual_outside_l1", "/truth/true_counterfactual_mape"})
        n += r.contains(nlohmann::json::json_pointer(at + key)) ? 1 : 0;
      return n;
    };
    const nlohmann::json* newest = &reports[0];
    for (const auto& r : reports)
      if (referencesIn(r) > referencesIn(*newest)) newest = &r;
    // `changePrefix`: where the reference's own change is stored ("" = it changes nothing);
    // `mapeKey`: its relative area error as the evaluation segmentor measures it.
    const auto reference = [&](const std::string& name, const std::string& changePrefix,
                               const std::string& truthKey, const std::string& mapeKey) {
      table += "| " + name + " |";
      for (const auto& [h, c] : columns) {
        std::string value = "-";
        for (const auto& s : structures) {
          const std::string at = "/by_intervention/" + s;
          const auto change = [&](const std::string& key) {
            return changePrefix.empty()
                       ? std::string("0.000")
                       : cell(*newest, at + "/locality/" + changePrefix + key, 1, "%.3f");
          };
          if (h == s + " MAPE %") value = cell(*newest, at + "/truth/" + mapeKey, 100, "%.2f");
          if (h == s + " outside L1") value = change("outside_l1");
          if (h == s + " outside R+descendants L1") value = change("outside_descendants_l1");
          if (h == s + " L1 to truth")
            value =
                truthKey.empty() ? "0.000" : cell(*newest, at + "/truth/" + truthKey, 1, "%.3f");
        }
        table += " " + value + " |";
      }
      table += "\n";
    };
    reference("reference: unedited input", "", "input_to_truth_l1", "input_mape");
    reference("reference: true counterfactual", "true_counterfactual_", "",
              "true_counterfactual_mape");
  }
  return table;
}

}  // namespace cfx::evaluation
