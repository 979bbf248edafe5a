#include "network_scores.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "atomic_file.h"
#include "dataset_tensors.h"
#include "hvae_scoring.h"
#include "manifest.h"
#include "text_format.h"

namespace cfx::evaluation {
namespace {

// How many of the lowest-scoring images `cfx evaluate segmentor` names per structure.
constexpr size_t kLowestDiceShown = 6;

}  // namespace

SegmentationScores scoreSegmentor(SegmentorImpl& segmentor, const data::ImageSet& set,
                                  const CausalGraph& graph, const torch::Device& device) {
  torch::NoGradGuard noGrad;
  segmentor.eval();
  const auto& structures = segmentor.config().structures;
  const size_t s = structures.size();
  std::vector<double> dice(s, 0.0), soft(s, 0.0), hard(s, 0.0), bias(s, 0.0), count(s, 0.0);
  const int64_t n = set.images.size(0);
  std::vector<std::vector<double>> imageDice(s, std::vector<double>(size_t(n), std::nan(""))),
      imageRecorded = imageDice, imageSoft = imageDice;
  for (int64_t start = 0; start < n; start += kEvaluationBatch) {
    const int64_t end = std::min(n, start + kEvaluationBatch);
    const auto probabilities =
        segmentor.probabilities(set.images.slice(0, start, end).to(device)).cpu();
    const auto predicted = segmentor.labelMaps(probabilities);
    const auto truth = set.labels.slice(0, start, end);
    const auto areas = SegmentorImpl::softAreas(probabilities);
    for (size_t k = 0; k < s; ++k) {
      // Only the images whose label map labels this structure (its area is known) count; a data
      // set whose graph lacks the structure (lungs only, say) labels it nowhere.
      const auto column = graph.indexOf(structures[k].variable);
      if (!column) continue;
      const auto wanted = set.attributes.slice(0, start, end).select(1, int64_t(*column));
      const auto labelled = ~torch::isnan(wanted);
      const auto p = predicted == structures[k].label, t = truth == structures[k].label;
      const auto intersection = (p & t).sum({1, 2}).to(torch::kFloat64);
      const auto total = (p.sum({1, 2}) + t.sum({1, 2})).to(torch::kFloat64);
      const auto perImage = (2 * intersection / total.clamp_min(1)).masked_fill(~labelled, NAN);
      dice[k] += perImage.masked_select(labelled).sum().item<double>();
      std::copy_n(perImage.data_ptr<double>(), end - start, imageDice[k].begin() + start);
      const auto area = areas.select(1, int64_t(k));
      // `wanted` is already NaN where the structure is unlabelled.
      const auto recordedPerImage = wanted.to(torch::kFloat64).contiguous();
      const auto softPerImage = area.to(torch::kFloat64).masked_fill(~labelled, NAN).contiguous();
      std::copy_n(recordedPerImage.data_ptr<double>(), end - start,
                  imageRecorded[k].begin() + start);
      std::copy_n(softPerImage.data_ptr<double>(), end - start, imageSoft[k].begin() + start);
      const auto softError = (area - wanted).masked_select(labelled);
      soft[k] += softError.abs().sum().item<double>();
      bias[k] += softError.sum().item<double>();
      const auto hardArea = 100.0 * p.to(torch::kFloat32).mean({1, 2});
      hard[k] += (hardArea - wanted).masked_select(labelled).abs().sum().item<double>();
      count[k] += double(labelled.sum().item<int64_t>());
    }
  }
  for (size_t k = 0; k < s; ++k) {
    const double c = std::max(count[k], 1.0);
    dice[k] /= c, soft[k] /= c, hard[k] /= c, bias[k] /= c;
  }
  std::vector<long> labelledImages(count.begin(), count.end());
  std::vector<std::string> ids = set.ids;
  for (int64_t i = int64_t(ids.size()); i < n; ++i) ids.push_back("row " + std::to_string(i + 1));
  return {dice, soft, hard, bias, labelledImages, imageDice, imageRecorded, imageSoft, ids};
}

namespace {

// (Dice, image index) of the images that label structure k, lowest first.
std::vector<std::pair<double, size_t>> labelledByDice(const SegmentationScores& scores, size_t k) {
  std::vector<std::pair<double, size_t>> order;
  for (size_t i = 0; i < scores.imageDice[k].size(); ++i)
    if (!std::isnan(scores.imageDice[k][i])) order.emplace_back(scores.imageDice[k][i], i);
  std::sort(order.begin(), order.end());
  return order;
}

}  // namespace

std::string lowestDiceTable(const SegmentorImpl& segmentor, const SegmentationScores& scores,
                            size_t count) {
  std::string text = formatText("%-18s %8s  lowest Dice (image id)\n", "structure", "median");
  for (size_t k = 0; k < scores.imageDice.size(); ++k) {
    const auto order = labelledByDice(scores, k);
    if (order.empty()) continue;
    const size_t middle = order.size() / 2;
    const double median = order.size() % 2 ? order[middle].first
                                           : (order[middle - 1].first + order[middle].first) / 2;
    text += formatText("%-18s %8.4f ", segmentor.config().structures[k].variable.c_str(), median);
    for (size_t j = 0; j < std::min(count, order.size()); ++j)
      text += formatText(" %s %.3f", scores.ids[order[j].second].c_str(), order[j].first);
    text += "\n";
  }
  return text;
}

std::string perImageDiceCsv(const SegmentorImpl& segmentor, const SegmentationScores& scores) {
  std::string csv = "id,structure,dice,recorded_area,soft_area\n";
  for (size_t i = 0; i < scores.ids.size(); ++i)
    for (size_t k = 0; k < scores.imageDice.size(); ++k)
      if (!std::isnan(scores.imageDice[k][i]))
        csv += formatText("%s,%s,%.6f,%.6f,%.6f\n", scores.ids[i].c_str(),
                          segmentor.config().structures[k].variable.c_str(), scores.imageDice[k][i],
                          scores.imageRecordedArea[k][i], scores.imageSoftArea[k][i]);
  return csv;
}

std::string segmentationTable(const SegmentorImpl& segmentor, const SegmentationScores& scores,
                              int64_t n, const std::string& split) {
  std::string text = formatText("segmentation on %lld %s images\n%-18s %8s %8s %16s %16s %16s\n",
                                static_cast<long long>(n), split.c_str(), "structure", "labelled",
                                "Dice", "soft-area MAE", "soft-area bias", "hard-area MAE");
  for (size_t k = 0; k < scores.dice.size(); ++k) {
    const char* name = segmentor.config().structures[k].variable.c_str();
    if (scores.labelledImages[k] == 0)
      text += formatText("%-18s %8ld %8s %16s %16s %16s\n", name, 0L, "-", "-", "-", "-");
    else
      text += formatText("%-18s %8ld %8.4f %13.3f pp %+13.3f pp %13.3f pp\n", name,
                         scores.labelledImages[k], scores.dice[k], scores.softAreaMae[k],
                         scores.softAreaBias[k], scores.hardAreaMae[k]);
  }
  return text;
}

nlohmann::json segmentationJson(const SegmentorImpl& segmentor, const SegmentationScores& scores) {
  nlohmann::json json = nlohmann::json::object();
  for (size_t k = 0; k < scores.dice.size(); ++k)
    json[segmentor.config().structures[k].variable] = {{"dice", scores.dice[k]},
                                                       {"soft_area_mae", scores.softAreaMae[k]},
                                                       {"soft_area_bias", scores.softAreaBias[k]},
                                                       {"hard_area_mae", scores.hardAreaMae[k]},
                                                       {"images", scores.labelledImages[k]}};
  return json;
}

PredictionScores scorePredictor(PredictorImpl& predictor, const data::ImageSet& set,
                                const CausalGraph& graph, const torch::Device& device) {
  torch::NoGradGuard noGrad;
  predictor.eval();
  std::vector<torch::Tensor> outputs;
  for (int64_t start = 0; start < set.images.size(0); start += kEvaluationBatch)
    outputs.push_back(
        predictor
            .predict(
                set.images.slice(0, start, std::min(set.images.size(0), start + kEvaluationBatch))
                    .to(device))
            .cpu());
  const auto predicted = torch::cat(outputs, 0);
  PredictionScores scores;
  const auto& targets = predictor.config().targets;
  for (size_t t = 0; t < targets.size(); ++t) {
    const auto index = graph.indexOf(targets[t].name);
    // A variable the data set's graph lacks is known for none of its images.
    const auto column = index ? set.attributes.select(1, int64_t(*index))
                              : torch::full({set.images.size(0)}, NAN, torch::kFloat32);
    const auto known = ~torch::isnan(column);
    const auto truth = column.masked_select(known);
    const auto p = predicted.select(1, int64_t(t)).masked_select(known);
    scores.images.push_back(truth.numel());
    scores.names.push_back(targets[t].name);
    scores.binary.push_back(targets[t].binary);
    scores.values.push_back(targets[t].binary ? rocAuc(p, truth)
                            : truth.numel()   ? (p - truth).abs().mean().item<double>()
                                              : 0.0);
  }
  return scores;
}

std::string predictionTable(const PredictionScores& scores, int64_t n, const std::string& split) {
  std::string text =
      formatText("anti-causal predictors on %lld %s images\n%-18s %8s %12s\n",
                 static_cast<long long>(n), split.c_str(), "variable", "known", "score");
  for (size_t t = 0; t < scores.names.size(); ++t) {
    const auto known = static_cast<long long>(scores.images[t]);
    if (known == 0)
      text += formatText("%-18s %8lld %12s\n", scores.names[t].c_str(), known, "-");
    else
      text += formatText("%-18s %8lld %12.4f  %s\n", scores.names[t].c_str(), known,
                         scores.values[t], scores.binary[t] ? "ROC AUC" : "MAE");
  }
  return text;
}

nlohmann::json predictionJson(const PredictionScores& scores) {
  nlohmann::json json = nlohmann::json::object();
  for (size_t t = 0; t < scores.names.size(); ++t)
    json[scores.names[t]] = {{scores.binary[t] ? "auc" : "mae", scores.values[t]},
                             {"images", scores.images[t]}};
  return json;
}

std::string evaluateSegmentor(const std::string& modelDir, const std::string& component,
                              const std::string& dataDir, const std::string& split,
                              const std::string& perImageCsv) {
  Segmentor segmentor = loadSegmentor(modelDir, component);
  const CausalGraph graph = data::loadGraphFile(dataDir + "/graph.json");
  const data::Manifest manifest = data::readManifest(dataDir + "/manifest.csv", graph);
  const data::ImageSet set =
      data::loadImageSet(manifest, graph, split, int(segmentor->config().size), true);
  const auto scores = scoreSegmentor(*segmentor, set, graph, torch::kCPU);
  if (!perImageCsv.empty()) {
    const std::string csv = perImageDiceCsv(*segmentor, scores);
    io::writeFileAtomically(perImageCsv, std::vector<unsigned char>(csv.begin(), csv.end()));
  }
  return segmentationTable(*segmentor, scores, set.images.size(0), split) + "\n" +
         lowestDiceTable(*segmentor, scores, kLowestDiceShown);
}

std::string evaluatePredictors(const std::string& modelDir, const std::string& dataDir,
                               const std::string& split) {
  Predictor predictor = loadPredictor(modelDir);
  const CausalGraph graph = data::loadGraphFile(dataDir + "/graph.json");
  const data::Manifest manifest = data::readManifest(dataDir + "/manifest.csv", graph);
  const data::ImageSet set =
      data::loadImageSet(manifest, graph, split, int(predictor->config().size), false);
  return predictionTable(scorePredictor(*predictor, set, graph, torch::kCPU), set.images.size(0),
                         split);
}

}  // namespace cfx::evaluation
