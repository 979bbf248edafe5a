#pragma once

#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <vector>

#include "causal_graph.h"
#include "mechanisms.h"
#include "safetensors.h"

namespace cfx {

struct ScmConfig {
  FlowKind flow = FlowKind::Spline;
  int64_t hidden = 32;  // width of each mechanism's conditioner MLP
  int64_t bins = 8;     // spline bins
  double bound = 4.0;   // spline support in normalised units; identity beyond

  nlohmann::json toJson() const;
  static ScmConfig fromJson(const nlohmann::json& json, const std::string& source);
};

// Normalisation of one continuous variable, computed from the training data and stored with the
// model (identity for discrete variables).
struct VariableStatistics {
  double mean = 0.0, std = 1.0;
};

// The scalar part of the deep SCM: one mechanism per graph variable. All values are [N, V]
// tensors in the graph's natural units (years, % of image, 0/1), columns in graph order.
class ScalarScmImpl : public torch::nn::Module {
 public:
  ScalarScmImpl(CausalGraph graph, ScmConfig config, std::vector<VariableStatistics> statistics);

  // Mean and spread of each continuous variable over the rows that know it.
  static std::vector<VariableStatistics> computeStatistics(const CausalGraph& graph,
                                                           const torch::Tensor& values);

  const CausalGraph& graph() const { return graph_; }
  const ScmConfig& config() const { return config_; }
  const std::vector<VariableStatistics>& statistics() const { return statistics_; }

  // Log-likelihood of each variable given its parents, in natural units: [N, V].
  torch::Tensor logProb(const torch::Tensor& values);
  // The same for rows with unknown values (NaN): a mechanism's term counts where its variable and
  // all its parents are known (`usable`, [N, V] bool) and is 0 elsewhere, without NaN gradients.
  // With `observed` ([N, V] bool), `values` are complete (unknown parents estimated) and a term
  // counts wherever its own variable was observed.
  struct PartialLogProb {
    torch::Tensor logProb, usable;
  };
  PartialLogProb partialLogProb(const torch::Tensor& values, const torch::Tensor& observed = {});
  // Step 1 of a counterfactual: the noise of every variable, [N, noiseSize] each.
  std::vector<torch::Tensor> abduct(const torch::Tensor& values, at::Generator& generator);
  // Steps 2 and 3: set the intervened entries (mask [N, V] bool, values [N, V]) and recompute
  // their descendants in topological order with the abducted noise. Entries with no intervened
  // ancestor keep their observed values exactly.
  torch::Tensor counterfactual(const torch::Tensor& values, const std::vector<torch::Tensor>& noise,
                               const torch::Tensor& interventionMask,
                               const torch::Tensor& interventionValues);
  // Which entries an intervention changes (the intervened ones and their descendants): [N, V] bool.
  torch::Tensor affected(const torch::Tensor& interventionMask) const;
  torch::Tensor sample(int64_t count, at::Generator& generator);

  nlohmann::json toJson() const;  // graph, config and statistics: everything but the weights
  static std::shared_ptr<ScalarScmImpl> fromJson(const nlohmann::json& json,
                                                 const std::string& source);

 private:
  torch::Tensor normalise(const torch::Tensor& values) const;
  torch::Tensor denormalise(const torch::Tensor& values) const;
  torch::Tensor parentInputs(size_t variable, const std::vector<torch::Tensor>& normalised) const;

  CausalGraph graph_;
  ScmConfig config_;
  std::vector<VariableStatistics> statistics_;
  std::vector<std::shared_ptr<MechanismImpl>> mechanisms_;
  torch::Tensor mean_, std_;
};
TORCH_MODULE(ScalarScm);

// The SCM of a model folder, in eval mode.
ScalarScm loadScalarScm(const std::string& modelDir);

}  // namespace cfx
