#pragma once

#include <torch/types.h>
#include <vector>

namespace cfx {

// Cleans a hard label map the way its anatomy allows: for every label in `labels`, 8-connected
// regions under a tenth of the structure's largest region that touch no other structure (a
// segmentor's specks on a film's marker or bowel gas) become background, and background holes
// enclosed by that structure alone (a lesion the segmentor read as outside the lung) become the
// structure. `maps` is [N, H, W] uint8 on the CPU; returns a new tensor.
torch::Tensor dropSpecksAndFillHoles(const torch::Tensor& maps, const std::vector<int>& labels);

}  // namespace cfx
