#pragma once

#include <cstdint>
#include <string>

#include "counterfactual_fine_tuning.h"
#include "stage.h"
#include "work_monitor.h"

namespace cfx::training {

struct FineTuningOptions {
  StageOptions stage;
  std::string pretrainedDir;  // never modified
  std::string outDir;         // a copy of the pretrained folder with the fine-tuned HVAE
  CftConfig config;           // epsilon and the regional mechanism are measured here
  int64_t regionGrid = 8;     // with config.regionLayout "grid": N x N cells
};

// Counterfactual fine-tuning of a model's HVAE (method.md section 4), with the schedule every
// fine-tuning shares (short EMA, long warm-up, no weight decay). The constraint's epsilon is the
// pretrained HVAE's NELBO on the training split, measured once and kept in the run folder so that
// a resumed run uses the same value.
StageResult fineTune(const FineTuningOptions& options, WorkMonitor& monitor);

}  // namespace cfx::training
