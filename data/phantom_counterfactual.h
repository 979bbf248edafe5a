#pragma once

#include <map>
#include <string>
#include <vector>

#include "intervention.h"
#include "phantom_dataset.h"
#include "phantom_subject.h"

namespace cfx::data {

// A stored phantom subject's true counterfactual: its SCM re-run on the subject's own noise with
// the interventions, descendants recomputed, the image re-rendered.
struct PhantomCounterfactual {
  phantom::Attributes factual;
  phantom::RenderedSubject subject;          // the counterfactual image, labels and attributes
  std::map<std::string, double> intervened;  // resolved values, by variable
  std::vector<std::string> notes;            // e.g. a value clamped into its range
};

// `specs` as typed (age=70, sex=F, left_lung_area=-20%); an unknown id or a value out of range
// (under OutOfRangePolicy::Reject) is a ValidationError.
PhantomCounterfactual renderPhantomCounterfactual(const PhantomDataset& data, const std::string& id,
                                                  const std::vector<std::string>& specs,
                                                  OutOfRangePolicy policy);

// Writes the image as a 16-bit PNG or, for a .dcm name, as DICOM marked synthetic; `maskOut`
// (when not empty) receives the label map.
void writePhantomCounterfactual(const PhantomCounterfactual& counterfactual, const std::string& id,
                                const std::vector<std::string>& specs, const std::string& out,
                                const std::string& maskOut);

}  // namespace cfx::data
