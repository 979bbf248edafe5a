#pragma once

#include <vector>

#include "causal_graph.h"
#include "hvae.h"
#include "predictor.h"
#include "scalar_scm.h"
#include "segmentor.h"

namespace cfx::test {

// The phantom's graph: sex, age -> heart, right lung; sex, age, heart -> left lung.
inline CausalGraph chestGraph() {
  std::vector<Variable> v(5);
  v[0] = {"sex", VariableKind::Binary, "", 0, 1, {}, {"F", "M"}, std::nullopt};
  v[1] = {"age", VariableKind::Continuous, "years", 18, 95, {}, {}, std::nullopt};
  v[2] = {"heart_area", VariableKind::Continuous, "%", 4, 16, {"sex", "age"}, {}, 3};
  v[3] = {"right_lung_area", VariableKind::Continuous, "%", 8, 26, {"sex", "age"}, {}, 1};
  v[4] = {
      "left_lung_area", VariableKind::Continuous, "%", 8, 23, {"sex", "age", "heart_area"}, {}, 2};
  return CausalGraph::fromVariables(std::move(v), "test graph");
}

inline std::vector<VariableStatistics> chestStatistics() {
  return {{0.5, 0.5}, {52, 14}, {9, 1}, {17, 1.4}, {15, 1.4}};
}

// An untrained HVAE over 16 px images with the five chest parents.
inline HvaeConfig tinyHvaeConfig() {
  HvaeConfig hc;
  hc.architecture = "16b1,8b1,4b1,1b1";
  hc.width = 8;
  hc.latentChannels = 2;
  hc.maxLatentResolution = 8;
  hc.parents = 5;
  return hc;
}

inline SegmentorConfig tinySegmentorConfig() {
  SegmentorConfig sc;
  sc.size = 16;
  sc.structures = {{"right_lung_area", 1}, {"left_lung_area", 2}, {"heart_area", 3}};
  sc.unet.classes = 4;
  sc.unet.width = 4;
  sc.unet.depth = 2;
  return sc;
}

inline PredictorConfig tinyPredictorConfig() {
  PredictorConfig pc;
  pc.size = 16;
  pc.width = 4;
  pc.depth = 3;
  pc.targets = {{"sex", true, 0, 1},
                {"age", false, 52, 14},
                {"heart_area", false, 9, 1},
                {"right_lung_area", false, 17, 1.4},
                {"left_lung_area", false, 15, 1.4}};
  return pc;
}

}  // namespace cfx::test
