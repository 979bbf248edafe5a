#include "scalar_scm.h"

#include <cmath>

#include "json_fields.h"
#include "model_bundle.h"
#include "validation_error.h"

namespace cfx {
namespace {

int64_t categoryCount(const Variable& v) {
  return v.kind == VariableKind::Categorical ? int64_t(v.categories.size()) : 2;
}

// How many input columns a parent contributes: one for continuous and binary, one-hot otherwise.
int64_t inputWidth(const Variable& v) {
  return v.kind == VariableKind::Categorical ? categoryCount(v) : 1;
}

}  // namespace

nlohmann::json ScmConfig::toJson() const {
  return {{"flow", toString(flow)}, {"hidden", hidden}, {"bins", bins}, {"bound", bound}};
}

ScmConfig ScmConfig::fromJson(const nlohmann::json& json, const std::string& source) {
  ScmConfig c;
  c.flow =
      parseFlowKind(jsonField<std::string>(json, "flow", "spline", source, "scm.config"), source);
  c.hidden = jsonField(json, "hidden", c.hidden, source, "scm.config");
  c.bins = jsonField(json, "bins", c.bins, source, "scm.config");
  c.bound = jsonField(json, "bound", c.bound, source, "scm.config");
  checkRange(c.hidden, 0, 1024, source, "scm.hidden");
  checkRange(c.bins, 2, 64, source, "scm.bins");
  if (!(c.bound > 0)) throw ValidationError(source, "scm.bound", "expected a positive number");
  return c;
}

ScalarScmImpl::ScalarScmImpl(CausalGraph graph, ScmConfig config,
                             std::vector<VariableStatistics> statistics)
    : graph_(std::move(graph)), config_(config), statistics_(std::move(statistics)) {
  const auto& variables = graph_.variables();
  if (statistics_.size() != variables.size())
    throw ValidationError("scalar SCM", "statistics", "expected one entry per graph variable");
  std::vector<double> means, stds;
  for (size_t i = 0; i < variables.size(); ++i) {
    const Variable& v = variables[i];
    int64_t inputs = 0;
    for (const auto& p : v.parents) inputs += inputWidth(graph_.variable(p));
    std::shared_ptr<MechanismImpl> mechanism;
    if (v.kind == VariableKind::Continuous)
      mechanism = std::make_shared<FlowMechanismImpl>(config_.flow, inputs, config_.hidden,
                                                      config_.bins, config_.bound);
    else
      mechanism =
          std::make_shared<CategoricalMechanismImpl>(categoryCount(v), inputs, config_.hidden);
    mechanisms_.push_back(register_module(v.name, mechanism));
    const bool continuous = v.kind == VariableKind::Continuous;
    means.push_back(continuous ? statistics_[i].mean : 0.0);
    stds.push_back(continuous ? statistics_[i].std : 1.0);
  }
  mean_ = register_buffer("mean", torch::tensor(means, torch::kFloat32));
  std_ = register_buffer("std", torch::tensor(stds, torch::kFloat32));
}

std::vector<VariableStatistics> ScalarScmImpl::computeStatistics(const CausalGraph& graph,
                                                                 const torch::Tensor& values) {
  std::vector<VariableStatistics> stats;
  for (size_t i = 0; i < graph.variables().size(); ++i) {
    const auto all = values.select(1, int64_t(i)).to(torch::kFloat64);
    const auto column = all.masked_select(~torch::isnan(all));
    if (graph.variables()[i].kind != VariableKind::Continuous || column.numel() < 2) {
      stats.push_back({0.0, 1.0});
      continue;
    }
    const double std = column.std().item<double>();
    stats.push_back({column.mean().item<double>(), std > 1e-12 ? std : 1.0});
  }
  return stats;
}

torch::Tensor ScalarScmImpl::normalise(const torch::Tensor& values) const {
  return (values - mean_) / std_;
}
torch::Tensor ScalarScmImpl::denormalise(const torch::Tensor& values) const {
  return values * std_ + mean_;
}

torch::Tensor ScalarScmImpl::parentInputs(size_t variable,
                                          const std::vector<torch::Tensor>& normalised) const {
  std::vector<torch::Tensor> columns;
  for (const auto& name : graph_.variables()[variable].parents) {
    const size_t p = *graph_.indexOf(name);
    const Variable& parent = graph_.variables()[p];
    const auto& column = normalised[p];
    if (parent.kind == VariableKind::Continuous)
      columns.push_back(column.unsqueeze(1));
    else if (parent.kind == VariableKind::Binary)
      columns.push_back((2 * column - 1).unsqueeze(1));  // centred
    else
      columns.push_back(
          torch::one_hot(column.to(torch::kInt64), categoryCount(parent)).to(column.dtype()));
  }
  if (columns.empty()) return torch::zeros({normalised[0].size(0), 0}, normalised[0].options());
  return torch::cat(columns, 1);
}

torch::Tensor ScalarScmImpl::logProb(const torch::Tensor& values) {
  const auto normalised = normalise(values).unbind(1);
  std::vector<torch::Tensor> columns;
  for (size_t i = 0; i < mechanisms_.size(); ++i) {
    auto lp = mechanisms_[i]->logProb(normalised[i], parentInputs(i, normalised));
    if (graph_.variables()[i].kind == VariableKind::Continuous)
      lp = lp - std::log(statistics_[i].std);
    columns.push_back(lp);
  }
  return torch::stack(columns, 1);
}

ScalarScmImpl::PartialLogProb ScalarScmImpl::partialLogProb(const torch::Tensor& values,
                                                            const torch::Tensor& observed) {
  const auto known = ~torch::isnan(values);
  auto usable = observed.defined() ? observed & known : known.clone();
  if (!observed.defined())
    for (size_t i = 0; i < graph_.variables().size(); ++i)
      for (const auto& p : graph_.variables()[i].parents)
        usable.select(1, int64_t(i)).logical_and_(known.select(1, int64_t(*graph_.indexOf(p))));
  // Unknown entries take the variable's mean, a value every mechanism can evaluate.
  auto means = torch::empty({1, values.size(1)}, values.options());
  for (size_t i = 0; i < statistics_.size(); ++i) means[0][int64_t(i)] = statistics_[i].mean;
  const auto filled = torch::where(known, values, means.expand_as(values));
  const auto lp = logProb(filled);
  return {torch::where(usable, lp, torch::zeros_like(lp)), usable};
}

std::vector<torch::Tensor> ScalarScmImpl::abduct(const torch::Tensor& values,
                                                 at::Generator& generator) {
  torch::NoGradGuard noGrad;
  const auto normalised = normalise(values).unbind(1);
  std::vector<torch::Tensor> noise;
  for (size_t i = 0; i < mechanisms_.size(); ++i)
    noise.push_back(mechanisms_[i]->abduct(normalised[i], parentInputs(i, normalised), generator));
  return noise;
}

torch::Tensor ScalarScmImpl::affected(const torch::Tensor& interventionMask) const {
  auto result = interventionMask.to(torch::kBool).clone();
  for (size_t i : graph_.topologicalOrder())
    for (const auto& p : graph_.variables()[i].parents) {
      const auto parentColumn = result.select(1, int64_t(*graph_.indexOf(p)));
      result.select(1, int64_t(i)).logical_or_(parentColumn);
    }
  return result;
}

torch::Tensor ScalarScmImpl::counterfactual(const torch::Tensor& values,
                                            const std::vector<torch::Tensor>& noise,
                                            const torch::Tensor& interventionMask,
                                            const torch::Tensor& interventionValues) {
  const auto mask = interventionMask.to(torch::kBool);
  const auto changed = affected(mask);
  auto current = normalise(values).unbind(1);
  const auto targets = normalise(interventionValues);
  // A mechanism runs only where some row needs its prediction (a descendant of an intervention,
  // not itself intervened): a slider move on a variable without descendants runs none, where
  // every mechanism cost a slider move 0.2-0.3 ms of small tensor operations.
  const auto predictedSomewhere = (changed & ~mask).any(0).cpu();
  for (size_t i : graph_.topologicalOrder()) {
    const auto column = int64_t(i);
    if (predictedSomewhere[column].item<bool>()) {
      const auto predicted = mechanisms_[i]->predict(noise[i], parentInputs(i, current));
      current[i] = torch::where(changed.select(1, column), predicted, current[i]);
    }
    current[i] = torch::where(mask.select(1, column), targets.select(1, column), current[i]);
  }
  // Untouched and intervened entries are copied, not round-tripped through the normalisation.
  return torch::where(mask, interventionValues,
                      torch::where(changed, denormalise(torch::stack(current, 1)), values));
}

torch::Tensor ScalarScmImpl::sample(int64_t count, at::Generator& generator) {
  torch::NoGradGuard noGrad;
  std::vector<torch::Tensor> current(mechanisms_.size(), torch::zeros({count}));
  for (size_t i : graph_.topologicalOrder()) {
    const auto noise = mechanisms_[i]->sampleNoise(count, generator);
    current[i] = mechanisms_[i]->predict(noise, parentInputs(i, current));
  }
  return denormalise(torch::stack(current, 1));
}

nlohmann::json ScalarScmImpl::toJson() const {
  nlohmann::json stats = nlohmann::json::object();
  for (size_t i = 0; i < statistics_.size(); ++i)
    stats[graph_.variables()[i].name] = {{"mean", statistics_[i].mean},
                                         {"std", statistics_[i].std}};
  return {{"graph", graph_.toJson()}, {"config", config_.toJson()}, {"statistics", stats}};
}

std::shared_ptr<ScalarScmImpl> ScalarScmImpl::fromJson(const nlohmann::json& json,
                                                       const std::string& source) {
  for (const char* key : {"graph", "config", "statistics"})
    if (!json.contains(key)) throw ValidationError(source, std::string("scm.") + key, "missing");
  auto graph = CausalGraph::fromJson(json.at("graph"), source);
  const auto config = ScmConfig::fromJson(json.at("config"), source);
  std::vector<VariableStatistics> stats;
  for (const auto& v : graph.variables()) {
    const auto& s = json.at("statistics");
    if (!s.contains(v.name) || !s.at(v.name).contains("mean") || !s.at(v.name).contains("std"))
      throw ValidationError(source, "scm.statistics." + v.name, "missing {mean, std}");
    const std::string where = "scm.statistics." + v.name;
    stats.push_back({jsonField<double>(s.at(v.name), "mean", source, where),
                     jsonField<double>(s.at(v.name), "std", source, where)});
    if (!(stats.back().std > 0) || !std::isfinite(stats.back().mean))
      throw ValidationError(source, "scm.statistics." + v.name,
                            "expected a finite mean and a positive std");
  }
  return std::make_shared<ScalarScmImpl>(std::move(graph), config, std::move(stats));
}

ScalarScm loadScalarScm(const std::string& modelDir) {
  const auto c = ModelBundle::loadComponent(modelDir, "scm");
  ScalarScm scm(ScalarScmImpl::fromJson(c.config, modelDir + "/model.json"));
  loadModuleWeights(*scm, c.weights, c.weightsPath);
  scm->eval();
  return scm;
}

}  // namespace cfx
