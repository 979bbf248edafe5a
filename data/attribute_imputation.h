#pragma once

#include <torch/types.h>
#include <map>
#include <string>

#include "causal_graph.h"
#include "image_set.h"
#include "predictor.h"
#include "segmentor.h"

namespace cfx::data {

// What imputation filled in, for the model card: per variable, how many values were estimated.
struct Imputation {
  torch::Tensor imputed;  // [N, V] bool: true where the value was estimated, not read
  std::map<std::string, long> counts;
};

// Fills the unknown attributes (NaN) of `set` in place, for stages that need every parent of every
// image (the HVAE, fine-tuning, evaluation): structure areas with the segmentor's soft areas (the
// measure the guidance uses), every other variable with the predictors' estimate (a binary one
// rounded), clamped to the graph's ranges. A network may be null when nothing it estimates is
// unknown; otherwise a ValidationError names `source`, the variable and the missing component.
Imputation imputeUnknownAttributes(ImageSet& set, const CausalGraph& graph,
                                   SegmentorImpl* segmentor, PredictorImpl* predictors,
                                   const torch::Device& device, const std::string& source);

// The same with the segmentor and predictors of a model folder (each loaded only when needed and
// present); returns what was filled in (nothing when every value is known).
Imputation imputeFromModelFolder(ImageSet& set, const CausalGraph& graph,
                                 const std::string& modelDir, const torch::Device& device,
                                 const std::string& source);

}  // namespace cfx::data
