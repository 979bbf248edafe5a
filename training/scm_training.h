#pragma once

#include <cstdint>
#include <string>

#include "scalar_scm.h"
#include "stage.h"
#include "work_monitor.h"

namespace cfx::training {

struct ScmTrainingOptions {
  std::string dataDir;
  std::string graphPath;  // empty: dataDir/graph.json
  std::string modelDir;   // the SCM is added to its model.json
  ScmConfig network;      // flow, hidden width, spline bins
  int64_t steps = 4000, batch = 512;
  double learningRate = 3e-3;
  std::uint64_t seed = 0;
  std::string command;  // as typed, recorded with the SCM
};

// Fits the scalar causal model (one conditional flow or Gumbel-max mechanism per graph variable)
// to a data set's attributes by maximum likelihood and reports the held-out log-likelihood per
// variable. Resumes from MODEL_DIR/runs/scm.
StageResult trainScm(const ScmTrainingOptions& options, WorkMonitor& monitor);

}  // namespace cfx::training
