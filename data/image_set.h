#pragma once

#include <torch/types.h>
#include <functional>
#include <string>
#include <vector>

#include "causal_graph.h"
#include "manifest.h"

namespace cfx::data {

// One split of a data set in memory, at the model's size.
struct ImageSet {
  std::vector<std::string> ids;
  torch::Tensor images;      // [N, 1, S, S] float in [-1, 1]
  torch::Tensor labels;      // [N, S, S] uint8 label maps; undefined when the split has no masks
  torch::Tensor attributes;  // [N, V] in graph order
};

// Reads every row of `split` (images resized to size x size when they differ). `needMasks`
// makes a row without a mask an error naming its line.
ImageSet loadImageSet(const data::Manifest& manifest, const CausalGraph& graph,
                      const std::string& split, int size, bool needMasks,
                      const std::function<void(long, long)>& progress = {});

// The side of the first image of a split: the natural model size for a data set.
int firstImageSize(const data::Manifest& manifest, const std::string& split);

}  // namespace cfx::data
