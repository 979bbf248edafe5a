#include "dataset_tensors.h"

#include <torch/torch.h>
#include <fstream>
#include <limits>

#include "validation_error.h"

namespace cfx::data {

CausalGraph loadGraphFile(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw ValidationError(path, "open",
                          "missing; a data set needs its graph.json (or pass --graph)");
  try {
    return CausalGraph::fromJson(nlohmann::json::parse(in), path);
  } catch (const nlohmann::json::exception& e) {
    throw ValidationError(path, "parse", std::string("invalid JSON: ") + e.what());
  }
}

torch::Tensor attributeTensor(const data::Manifest& manifest, const CausalGraph& graph,
                              const std::string& split) {
  const auto rows = manifest.split(split);
  if (rows.empty())
    throw ValidationError(manifest.path, "split", "no rows in the '" + split + "' split");
  const auto& variables = graph.variables();
  auto values = torch::empty({int64_t(rows.size()), int64_t(variables.size())}, torch::kFloat32);
  auto accessor = values.accessor<float, 2>();
  for (size_t r = 0; r < rows.size(); ++r)
    for (size_t v = 0; v < variables.size(); ++v) {
      const auto known = rows[r]->attributes.find(variables[v].name);
      accessor[int64_t(r)][int64_t(v)] = known == rows[r]->attributes.end()
                                             ? std::numeric_limits<float>::quiet_NaN()
                                             : float(known->second);
    }
  return values;
}

}  // namespace cfx::data
