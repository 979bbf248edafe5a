#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "counterfactual_engine.h"
#include "study.h"

namespace cfx::session {

// The series description of every counterfactual DICOM we write (and what a PACS retrieval skips).
extern const char* const kCounterfactualSeriesDescription;

// What is written for one counterfactual: the files the explorer's Export and `cfx
// counterfactual` produce, under the same names.
struct ExportRequest {
  std::string outDir;
  std::string modelDir;
  std::vector<std::string> interventionTexts;  // as the user wrote or set them, for provenance
  std::string device;
  int particles = 1;
  double latentTemperature = 1.0;
};

struct ExportedFiles {
  std::vector<std::string> written;
  nlohmann::json sidecar;
};

// counterfactual.png and factual.png (16 bit, the model's size), difference.png (diverging map
// with a colour bar), variance.png for several particles, counterfactual_input_size.png for an
// input larger or smaller than the model's grid (the edit carried onto the input, see
// io::transferEdit), counterfactual.dcm for a DICOM input (at the input's size and spacing;
// derived, secondary capture, marked synthetic, stating the intervention) and
// counterfactual.json. Each file is written atomically; a path that is the input is refused
// before anything is written.
ExportedFiles exportCounterfactual(const Study& study, const CounterfactualResult& result,
                                   const ExportRequest& request);

}  // namespace cfx::session
