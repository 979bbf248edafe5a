#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "causal_graph.h"
#include "phantom_scm.h"
#include "radiograph.h"

namespace cfx::data {

struct PhantomDatasetOptions {
  std::string outDir;
  long count = 0;
  int size = 128;
  std::uint64_t seed = 1;
  std::string format = "png";  // png (16-bit) or dcm
  int threads = 2;
  double fieldOfViewMm = 400.0;  // sets the pixel spacing written to DICOM
};

// Writes a complete phantom data set (shared/docs/phantom.md) into options.outDir, which must not
// exist yet. Work happens in a sibling folder that is renamed at the end, so the data set appears
// whole or not at all; `cancel` stops it at the next subject and removes the partial folder.
void generatePhantomDataset(const PhantomDatasetOptions& options,
                            const std::function<void(long)>& progress,
                            const std::atomic<bool>& cancel);

// What a phantom data set folder says about how it was made, with its stored noise.
struct PhantomDataset {
  std::string dir;
  int size = 0;
  std::uint64_t seed = 0;
  phantom::ScmCoefficients coefficients;
  CausalGraph graph;
  std::map<std::string, phantom::Exogenous> noise;  // by subject id
};

PhantomDataset loadPhantomDataset(const std::string& dir);

// DICOM patient facts of a phantom subject: its id as PatientID, "PHANTOM^id" as its name, and
// its age and sex.
io::RadiographMetadata phantomMetadata(const std::string& id, const phantom::Attributes& attributes,
                                       std::optional<double> pixelSpacingMm = std::nullopt);

}  // namespace cfx::data
