#pragma once

#include <cstdint>
#include <string>

#include "stage.h"
#include "work_monitor.h"

namespace cfx::training {

struct PredictorTrainingOptions {
  StageOptions stage;
  std::string modelDir;  // the predictors are added to its model.json
  int64_t width = 16, depth = 5;
};

// The anti-causal CNN that reads every graph variable off the image: regression for continuous
// variables, classification for binary ones. Augmentation is intensity only plus tiny shifts,
// since zoom would change the areas it must predict.
StageResult trainPredictors(const PredictorTrainingOptions& options, WorkMonitor& monitor);

}  // namespace cfx::training
