#pragma once

#include <string>

#include "hvae.h"
#include "precision.h"
#include "stage.h"
#include "work_monitor.h"

namespace cfx::training {

struct HvaeTrainingOptions {
  StageOptions stage;
  std::string modelDir;  // the HVAE is added to its model.json
  HvaeConfig network;    // architecture, width, latents, beta, free bits (parents: from the data)
  Precision precision = Precision::Float32;  // of the convolutions; weights stay fp32
};

// The image mechanism: a conditional hierarchical VAE over the radiographs, given all graph
// variables as parents, trained by the ELBO with a discretised Gaussian likelihood; reports the
// val and test NELBO in bits per dimension.
StageResult trainHvae(const HvaeTrainingOptions& options, WorkMonitor& monitor);

}  // namespace cfx::training
