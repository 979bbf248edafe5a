#include "regional_mechanism.h"

#include <cmath>

#include "validation_error.h"

namespace cfx {

void checkRegionGrid(int64_t grid, int64_t imageSize, const std::string& source,
                     const std::string& field) {
  if (grid < 1 || imageSize % grid != 0)
    throw ValidationError(source, field,
                          "expected a divisor of the image size " + std::to_string(imageSize) +
                              ", got " + std::to_string(grid));
}

torch::Tensor gridAreas(const torch::Tensor& probabilities, int64_t grid) {
  const int64_t height = probabilities.size(2), width = probabilities.size(3);
  if (grid < 1 || height % grid != 0 || width % grid != 0)
    throw ValidationError("regional areas", "grid",
                          "expected a divisor of the image size " + std::to_string(height) + " x " +
                              std::to_string(width) + ", got " + std::to_string(grid));
  const auto structures = probabilities.slice(1, 1);  // background is not a region variable
  const int64_t cellHeight = height / grid, cellWidth = width / grid;
  // Mean over a cell times the cell's share of the image: percent of the whole image.
  const double share = 100.0 * double(cellHeight * cellWidth) / double(height * width);
  const auto cells = torch::avg_pool2d(structures, {cellHeight, cellWidth}) * share;
  return cells.flatten(2);
}

RegionalMechanism RegionalMechanism::fit(const torch::Tensor& cellAreas,
                                         const torch::Tensor& attributes, int64_t grid) {
  const int64_t n = cellAreas.size(0), structures = cellAreas.size(1), cells = cellAreas.size(2);
  if (cells != grid * grid || attributes.size(0) != n)
    throw ValidationError("regional mechanism", "fit",
                          "expected [N, S, grid * grid] cell areas and [N, V] attributes");
  const auto x = attributes.to(torch::kFloat64);
  const auto y = cellAreas.to(torch::kFloat64).reshape({n, structures * cells});
  // Standardised regressors keep the normal equations well conditioned (ages in years beside a
  // 0/1 sex); a constant column gets no slope.
  const auto mean = x.mean(0), std = x.std(0, /*unbiased=*/false);
  const auto usable = std > 1e-9;
  const auto z = torch::where(usable, (x - mean) / std.clamp_min(1e-9), torch::zeros_like(x));
  const auto yMean = y.mean(0);
  const auto yc = y - yMean;
  const int64_t v = x.size(1);
  // A ridge of 1e-6 per sample only keeps the system solvable when a column is constant.
  const auto gram = z.t().mm(z) + 1e-6 * double(n) * torch::eye(v, torch::kFloat64);
  const auto standardSlopes = at::linalg_solve(gram, z.t().mm(yc));  // [V, S * C]
  const auto slopes =
      torch::where(usable.unsqueeze(1), standardSlopes / std.clamp_min(1e-9).unsqueeze(1),
                   torch::zeros_like(standardSlopes));

  RegionalMechanism m;
  m.grid = grid;
  m.slopes = slopes.t().reshape({structures, cells, v}).contiguous();
  const auto residual = (yc - z.mm(standardSlopes)).reshape({n, structures, cells});
  const auto total = yc.reshape({n, structures, cells});
  for (int64_t s = 0; s < structures; ++s) {
    const double ssTotal = total.select(1, s).pow(2).sum().item<double>();
    const double ssResidual = residual.select(1, s).pow(2).sum().item<double>();
    m.explainedVariance.push_back(ssTotal > 0 ? 1.0 - ssResidual / ssTotal : 1.0);
  }
  return m;
}

torch::Tensor RegionalMechanism::counterfactualCells(
    const torch::Tensor& factualCells, const torch::Tensor& factualParents,
    const torch::Tensor& counterfactualParents) const {
  const auto options = factualCells.options();
  const auto change = (counterfactualParents.to(options) - factualParents.to(options));  // [N, V]
  const auto s = slopes.to(options);  // [S, C, V]
  return factualCells + torch::einsum("nv,scv->nsc", {change, s});
}

nlohmann::json RegionalMechanism::toJson() const {
  nlohmann::json perStructure = nlohmann::json::array();
  const auto s = slopes.to(torch::kFloat64).contiguous();
  const auto a = s.accessor<double, 3>();
  for (int64_t i = 0; i < s.size(0); ++i) {
    nlohmann::json perCell = nlohmann::json::array();
    for (int64_t c = 0; c < s.size(1); ++c) {
      std::vector<double> row(size_t(s.size(2)));
      for (int64_t v = 0; v < s.size(2); ++v) row[size_t(v)] = a[i][c][v];
      perCell.push_back(row);
    }
    perStructure.push_back(perCell);
  }
  return {{"grid", grid}, {"slopes", perStructure}, {"explained_variance", explainedVariance}};
}

RegionalMechanism RegionalMechanism::fromJson(const nlohmann::json& json,
                                              const std::string& source) {
  const std::string field = "fine_tuning.regional_mechanism";
  RegionalMechanism m;
  std::vector<std::vector<std::vector<double>>> values;
  try {
    m.grid = json.at("grid").get<int64_t>();
    values = json.at("slopes").get<std::vector<std::vector<std::vector<double>>>>();
    m.explainedVariance = json.value("explained_variance", std::vector<double>{});
  } catch (const nlohmann::json::exception& e) {
    throw ValidationError(
        source, field,
        std::string("expected grid and slopes [structures][cells][variables]: ") + e.what());
  }
  const size_t cells = m.grid > 0 ? size_t(m.grid * m.grid) : 0;
  const size_t variables = values.empty() || values[0].empty() ? 0 : values[0][0].size();
  if (values.empty() || variables == 0)
    throw ValidationError(source, field + ".slopes", "expected a non-empty array");
  std::vector<double> flat;
  for (const auto& perCell : values) {
    if (perCell.size() != cells)
      throw ValidationError(source, field + ".slopes",
                            "expected " + std::to_string(cells) + " cells per structure (grid " +
                                std::to_string(m.grid) + "), got " +
                                std::to_string(perCell.size()));
    for (const auto& row : perCell) {
      if (row.size() != variables)
        throw ValidationError(source, field + ".slopes",
                              "expected " + std::to_string(variables) + " slopes per cell");
      for (double x : row) {
        if (!std::isfinite(x))
          throw ValidationError(source, field + ".slopes", "expected finite numbers");
        flat.push_back(x);
      }
    }
  }
  m.slopes = torch::tensor(flat, torch::kFloat64)
                 .reshape({int64_t(values.size()), int64_t(cells), int64_t(variables)});
  return m;
}

}  // namespace cfx
