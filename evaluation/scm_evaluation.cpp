#include "scm_evaluation.h"

#include <torch/torch.h>

#include "dataset_tensors.h"
#include "manifest.h"
#include "phantom_dataset.h"
#include "phantom_scm.h"
#include "scalar_scm.h"
#include "text_format.h"
#include "trainer.h"

namespace cfx::evaluation {

ScmEvaluation evaluateScm(const std::string& modelDir, const std::string& phantomDir,
                          int64_t interventions, std::uint64_t seed) {
  ScmEvaluation result;
  std::string& text = result.table;
  ScalarScm scm = loadScalarScm(modelDir);
  const CausalGraph& graph = scm->graph();
  const data::PhantomDataset dataset = data::loadPhantomDataset(phantomDir);
  const phantom::PhantomScm truth(dataset.coefficients);
  const data::Manifest manifest = data::readManifest(phantomDir + "/manifest.csv", dataset.graph);
  const auto subjects = manifest.split("test");
  const auto pool = data::attributeTensor(manifest, graph, "test");
  const int64_t count = interventions;
  const int64_t variables = int64_t(graph.variables().size());

  at::Generator g = makeGenerator(seed);
  const auto subject = torch::randint(int64_t(subjects.size()), {count}, g, torch::kInt64);
  const auto target = torch::randint(variables, {count}, g, torch::kInt64);
  const auto donor = torch::randint(int64_t(subjects.size()), {count}, g, torch::kInt64);
  const auto observed = pool.index_select(0, subject);
  auto mask = torch::zeros({count, variables}, torch::kBool);
  auto targets = observed.clone();
  auto expected = torch::empty_like(observed);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t v = target[i].item<int64_t>();
    const Variable& variable = graph.variables()[size_t(v)];
    const float value = variable.kind == VariableKind::Continuous
                            ? pool[donor[i].item<int64_t>()][v].item<float>()
                            : 1.0f - observed[i][v].item<float>();
    mask[i][v] = true;
    targets[i][v] = value;
    const auto& row = *subjects[size_t(subject[i].item<int64_t>())];
    const auto cf = truth.evaluate(dataset.noise.at(row.id), {{variable.name, double(value)}});
    for (int64_t w = 0; w < variables; ++w)
      expected[i][w] = float(cf.get(graph.variables()[size_t(w)].name));
  }
  torch::NoGradGuard noGrad;
  const auto noise = scm->abduct(observed, g);
  const auto predicted = scm->counterfactual(observed, noise, mask, targets);
  const auto descendant = scm->affected(mask) & ~mask;

  text += formatText(
      "SCM counterfactuals vs the phantom's truth: %lld single-variable interventions on test "
      "subjects\n",
      static_cast<long long>(count));
  text += formatText("%-18s %8s %10s %10s %12s\n", "variable", "n", "MAE", "data std", "MAE / std");
  nlohmann::json& report = result.json;
  report = {{"interventions", count}, {"variables", nlohmann::json::object()}};
  bool allWithin = true;
  for (int64_t v = 0; v < variables; ++v) {
    const auto rows = descendant.select(1, v);
    const int64_t n = rows.sum().item<int64_t>();
    const double std = pool.select(1, v).std().item<double>();
    const auto& name = graph.variables()[size_t(v)].name;
    if (n == 0) {
      text += formatText("%-18s %8s %10s %10.3f %12s\n", name.c_str(), "0", "-", std, "(root)");
      continue;
    }
    const double mae = (predicted.select(1, v) - expected.select(1, v))
                           .abs()
                           .masked_select(rows)
                           .mean()
                           .item<double>();
    text += formatText("%-18s %8lld %10.4f %10.3f %11.2f%%\n", name.c_str(),
                       static_cast<long long>(n), mae, std, 100 * mae / std);
    report["variables"][name] = {{"n", n}, {"mae", mae}, {"std", std}, {"mae_over_std", mae / std}};
    allWithin = allWithin && mae / std < 0.05;
  }
  // Non-descendants are copied by construction; show that it holds.
  const double untouched =
      (predicted - observed).abs().masked_select(~scm->affected(mask)).max().item<double>();
  text += formatText("largest change of a non-descendant: %g\n", untouched);
  report["max_non_descendant_change"] = untouched;
  report["all_within_5_percent_of_std"] = allWithin;
  return result;
}

}  // namespace cfx::evaluation
