#pragma once

#include <torch/types.h>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "causal_graph.h"
#include "image_set.h"
#include "predictor.h"
#include "segmentor.h"

namespace cfx::evaluation {

struct SegmentationScores {
  std::vector<double> dice, softAreaMae, hardAreaMae;  // per structure
  // Mean signed soft-area error (pp): guidance judges areas with these soft areas, so a segmentor
  // that reads a structure consistently large or small shifts every counterfactual it guides.
  std::vector<double> softAreaBias;
  std::vector<long> labelledImages;  // per structure: the images whose label map labels it
  // Per structure, per image of the set (in its order): hard-mask Dice, NaN where the image does
  // not label the structure. A mean hides a mislabelled mask; the lowest of these show it.
  std::vector<std::vector<double>> imageDice;
  // Per structure, per image: the recorded area and the segmentor's soft area (pp), NaN where the
  // image does not label the structure. Which films a segmentor misreads, and by how much.
  std::vector<std::vector<double>> imageRecordedArea, imageSoftArea;
  std::vector<std::string> ids;  // the set's image ids (row numbers when it has none)
};

// Hard-mask Dice against the label maps, and soft-area MAE and bias (percentage points) against
// the data set's stored area variables; per structure over the images that label it.
SegmentationScores scoreSegmentor(SegmentorImpl& segmentor, const data::ImageSet& set,
                                  const CausalGraph& graph, const torch::Device& device);
// The scores as a table (`n` images of `split`) and as JSON by structure.
std::string segmentationTable(const SegmentorImpl& segmentor, const SegmentationScores& scores,
                              int64_t n, const std::string& split);
// Per structure, its median Dice and the `count` images with the lowest Dice (id and Dice).
std::string lowestDiceTable(const SegmentorImpl& segmentor, const SegmentationScores& scores,
                            size_t count);
// CSV: id, structure, Dice, recorded area, soft area (pp); one row per labelled image and
// structure.
std::string perImageDiceCsv(const SegmentorImpl& segmentor, const SegmentationScores& scores);
nlohmann::json segmentationJson(const SegmentorImpl& segmentor, const SegmentationScores& scores);

struct PredictionScores {
  std::vector<std::string> names;
  std::vector<double> values;  // MAE (continuous) or ROC AUC (binary)
  std::vector<bool> binary;
  std::vector<int64_t> images;  // the images whose value is known, per variable
};

PredictionScores scorePredictor(PredictorImpl& predictor, const data::ImageSet& set,
                                const CausalGraph& graph, const torch::Device& device);
std::string predictionTable(const PredictionScores& scores, int64_t n, const std::string& split);
nlohmann::json predictionJson(const PredictionScores& scores);

// `cfx evaluate segmentor|predictors`: a model folder's component scored on one split of a data
// set (CPU); the table as text. `perImageCsv`, when not empty, also gets every image's Dice.
std::string evaluateSegmentor(const std::string& modelDir, const std::string& component,
                              const std::string& dataDir, const std::string& split,
                              const std::string& perImageCsv = "");
std::string evaluatePredictors(const std::string& modelDir, const std::string& dataDir,
                               const std::string& split);

}  // namespace cfx::evaluation
