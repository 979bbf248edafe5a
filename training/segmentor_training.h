#pragma once

#include <cstdint>
#include <string>

#include "stage.h"
#include "work_monitor.h"

namespace cfx::training {

struct SegmentorTrainingOptions {
  StageOptions stage;
  std::string modelDir;  // the segmentor is added to its model.json
  std::string component = "segmentor";
  int64_t width = 16, depth = 4;
  int64_t regionBands = 3;  // positional regions per structure (Pos-Seg-CFT)
};

// The U-Net that segments every structure of the graph (variables with a mask_label), trained
// with Dice plus cross-entropy and small affine and intensity augmentation; scored on the val
// split and saved with its scores.
StageResult trainSegmentor(const SegmentorTrainingOptions& options, WorkMonitor& monitor);

}  // namespace cfx::training
