#include "parent_encoding.h"

#include "json_fields.h"
#include "validation_error.h"

namespace cfx {

ParentEncoding ParentEncoding::fit(const CausalGraph& graph, const torch::Tensor& values) {
  ParentEncoding encoding;
  for (size_t v = 0; v < graph.variables().size(); ++v) {
    const Variable& variable = graph.variables()[v];
    if (variable.kind == VariableKind::Categorical)
      throw ValidationError("parent encoding", "variable '" + variable.name + "'",
                            "categorical parents are not supported");
    const auto column = values.select(1, int64_t(v)).to(torch::kFloat64);
    const double std = column.std().item<double>();
    encoding.entries_.push_back({variable.name, variable.kind == VariableKind::Binary,
                                 column.mean().item<double>(), std > 1e-9 ? std : 1.0});
  }
  return encoding;
}

nlohmann::json ParentEncoding::toJson() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : entries_)
    list.push_back({{"name", e.name}, {"binary", e.binary}, {"mean", e.mean}, {"std", e.std}});
  return list;
}

ParentEncoding ParentEncoding::fromJson(const nlohmann::json& json, const std::string& source) {
  ParentEncoding encoding;
  if (!json.is_array())
    throw ValidationError(source, "parents", "expected an array of {name, binary, mean, std}");
  for (const auto& item : json) {
    encoding.entries_.push_back({jsonField<std::string>(item, "name", source, "parents"),
                                 jsonField<bool>(item, "binary", source, "parents"),
                                 jsonField<double>(item, "mean", source, "parents"),
                                 jsonField<double>(item, "std", source, "parents")});
    if (!(encoding.entries_.back().std > 0))
      throw ValidationError(source, "parents." + encoding.entries_.back().name + ".std",
                            "expected a positive number");
  }
  return encoding;
}

torch::Tensor ParentEncoding::encode(const torch::Tensor& values, const CausalGraph& graph) const {
  std::vector<torch::Tensor> columns;
  for (const auto& e : entries_) {
    const auto index = graph.indexOf(e.name);
    if (!index)
      throw ValidationError("parent encoding", "variable '" + e.name + "'", "not in the graph");
    const auto column = values.select(1, int64_t(*index));
    columns.push_back(e.binary ? 2 * column - 1 : (column - e.mean) / e.std);
  }
  return torch::stack(columns, 1).to(torch::kFloat32);
}

}  // namespace cfx
