#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "counterfactual_engine.h"
#include "counterfactual_export.h"

namespace cfx::session {

// One radiograph, one set of interventions, files out: what `cfx counterfactual` does.
struct CounterfactualJob {
  std::string modelDir;
  std::string input;  // DICOM or PNG
  std::string outDir;
  std::vector<std::string> attributes;     // VAR=VALUE, overriding the DICOM header
  std::vector<std::string> interventions;  // VAR=VALUE or VAR=+20%
  EngineOptions engine;
  const std::atomic<bool>* cancel = nullptr;  // checked between the steps (Interrupted)
};

struct CounterfactualOutcome {
  CausalGraph graph;  // the model's
  CounterfactualResult result;
  ExportedFiles files;
};

// Loads the model, opens the study, abducts it once, predicts under the interventions and exports
// every file (exportCounterfactual).
CounterfactualOutcome runCounterfactualJob(const CounterfactualJob& job);

}  // namespace cfx::session
