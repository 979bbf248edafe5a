#pragma once

#include <torch/torch.h>
#include <map>
#include <string>
#include <vector>

#include "counterfactual_engine.h"
#include "radiograph.h"

namespace cfx::session {

// A radiograph opened for counterfactual exploration: the file as read, the image at the model's
// size, the observation the engine abducts from (with where each value came from) and the areas
// the segmentor measures on it.
struct Study {
  std::string path;
  io::Radiograph radiograph;
  GrayImage factual;     // model size, [0, 1]
  torch::Tensor tensor;  // [1, 1, S, S] in [-1, 1]
  std::map<std::string, double> observed;
  std::vector<std::string> sources;    // e.g. "age from PatientAge"
  std::vector<std::string> estimated;  // variables the predictors estimated (not in the file)
  std::map<std::string, double> measuredFactual;
  torch::Tensor labelsFactual;  // [S, S] uint8: the segmentor's label map of `factual`
};

// Reads a DICOM or PNG radiograph, takes age and sex from a DICOM header, then `given` (which
// overrides the header), estimates what is still unknown (sex, age) with the model's predictors
// (listed in `estimated` and `sources`), and measures structure areas (and the label map) with
// one pass of the engine's segmentor. Anything the graph needs that is still missing (a model
// without predictors) is a ValidationError naming it.
Study openStudy(const std::string& path, CounterfactualEngine& engine,
                const std::map<std::string, double>& given = {});

// The counterfactual at the input radiograph's own size: the model-size counterfactual itself
// when the input is at the model's size, otherwise the model's edit carried onto the input (see
// io::transferEdit), taken against the 8-bit factual the engine abducted from so that its
// quantisation does not come back as noise over the whole input.
GrayImage counterfactualAtInputSize(const Study& study, const GrayImage& counterfactual);

// "VAR=VALUE" attributes (numbers or category names such as sex=F) parsed against the graph.
std::map<std::string, double> parseAttributes(const std::vector<std::string>& specs,
                                              const CausalGraph& graph);

}  // namespace cfx::session
