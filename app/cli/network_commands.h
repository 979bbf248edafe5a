#pragma once

#include <string>
#include <vector>

namespace cfx::cli {

// `cfx train segmentor`, `cfx evaluate segmentor`: the lung and heart U-Net.
int runTrainSegmentor(const std::vector<std::string>& arguments);
int runEvaluateSegmentor(const std::vector<std::string>& arguments);
// `cfx train predictors`, `cfx evaluate predictors`: the anti-causal CNN for every graph variable.
int runTrainPredictors(const std::vector<std::string>& arguments);
int runEvaluatePredictors(const std::vector<std::string>& arguments);
// `cfx train hvae`: the conditional HVAE (the image mechanism), reporting test NELBO in bits/dim.
int runTrainHvae(const std::vector<std::string>& arguments);

}  // namespace cfx::cli
