#pragma once

#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cfx {

// Pos-Seg-CFT with regions fixed in the image (an extension; method.md section 4 leaves the
// regions configurable): the film is cut into grid x grid cells, and each structure's soft area
// inside each cell is a variable with a linear additive-noise mechanism in the graph's variables,
//   cell = a + slopes . parents + U,
// fitted by least squares on the training images. Abduction keeps U, so the counterfactual cell
// area is the factual one plus slopes . (parents* - parents). Unlike bands of the structure's own
// extent (which keep their shares under any scaling), fixed cells say *where* a structure grows:
// whatever the data show, for instance a heart anchored at its upper medial corner that grows
// down and out.
struct RegionalMechanism {
  int64_t grid = 8;
  torch::Tensor slopes;                   // [S, grid * grid, V] float64, percent per natural unit
  std::vector<double> explainedVariance;  // R^2 of the fit per structure (over all its cells)

  // cellAreas [N, S, C] (percent of image), attributes [N, V] in graph order, natural units.
  static RegionalMechanism fit(const torch::Tensor& cellAreas, const torch::Tensor& attributes,
                               int64_t grid);
  // The counterfactual cell areas [N, S, C] of factual ones, for factual and counterfactual
  // parents [N, V]; on the device and in the dtype of `factualCells`.
  torch::Tensor counterfactualCells(const torch::Tensor& factualCells,
                                    const torch::Tensor& factualParents,
                                    const torch::Tensor& counterfactualParents) const;

  bool empty() const { return !slopes.defined(); }
  nlohmann::json toJson() const;
  // Throws a ValidationError naming source and field unless the slopes form an [S, C, V] array of
  // finite numbers with C = grid * grid.
  static RegionalMechanism fromJson(const nlohmann::json& json, const std::string& source);
};

// Throws a ValidationError naming source and field unless grid >= 1 divides the (square) image
// size: cells fixed in the image must tile it exactly.
void checkRegionGrid(int64_t grid, int64_t imageSize, const std::string& source,
                     const std::string& field);

// Soft area of each structure inside each of grid x grid equal cells, in percent of the whole
// image (so the cells of a structure sum to its soft area), row-major. probabilities [N, 1 + S,
// H, W]; H and W must be multiples of grid (else a ValidationError). [N, S, grid * grid]
torch::Tensor gridAreas(const torch::Tensor& probabilities, int64_t grid);

}  // namespace cfx
