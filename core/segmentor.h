#pragma once

#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "causal_graph.h"
#include "unet.h"

namespace cfx {

// One segmented structure: the graph variable its area measures and its label in the masks.
struct SegmentedStructure {
  std::string variable;
  int label = 0;
};

struct SegmentorConfig {
  UNetConfig unet;
  int64_t size = 128;                          // input width and height
  std::vector<SegmentedStructure> structures;  // class k + 1 is structures[k]; class 0 background
  int64_t regionBands = 3;                     // positional regions along the cranio-caudal axis

  nlohmann::json toJson() const;
  static SegmentorConfig fromJson(const nlohmann::json& json, const std::string& source);
};

// A segmentation network and the differentiable measurements Seg-CFT is built on.
class SegmentorImpl : public torch::nn::Module {
 public:
  explicit SegmentorImpl(SegmentorConfig config);
  const SegmentorConfig& config() const { return config_; }

  torch::Tensor logits(const torch::Tensor& images);  // [N, 1 + S, H, W]
  // Image descriptors from the encoder (see UNetImpl::pooledEncoderFeatures). [N, F]
  torch::Tensor features(const torch::Tensor& images);
  // Per-pixel class probabilities (softmax over background and structures).
  torch::Tensor probabilities(const torch::Tensor& images);
  // Soft area of each structure in percent of the image: 100 * mean over pixels of P_k. [N, S]
  static torch::Tensor softAreas(const torch::Tensor& probabilities);
  // Hard label maps (argmax) with the data set's label values, specks dropped and holes filled
  // (dropSpecksAndFillHoles, a CPU pass: every caller draws or counts them there). [N, H, W]
  // uint8 on the CPU
  torch::Tensor labelMaps(const torch::Tensor& probabilities) const;
  // Soft areas inside `bands` equal horizontal bands of each structure's bounding rows (from its
  // hard mask; the band limits carry no gradient, the areas do). [N, S, bands], percent of image.
  torch::Tensor regionalAreas(const torch::Tensor& probabilities) const;
  // Image-domain label indices [N, H, W] (0 background, k + 1 structure k) from a label map.
  torch::Tensor classIndices(const torch::Tensor& labelMaps) const;
  // Which classes each image's label map labels, from its attributes in `graph` order ([N, V],
  // NaN = unknown): a structure is labelled where its area is known. [N, S + 1] bool, background
  // always true.
  torch::Tensor labelledClasses(const torch::Tensor& attributes, const CausalGraph& graph) const;

 private:
  SegmentorConfig config_;
  UNet unet_{nullptr};
};
TORCH_MODULE(Segmentor);

// The segmentor stored as `component` of a model folder, in eval mode.
Segmentor loadSegmentor(const std::string& modelDir, const std::string& component);

// Mean soft Dice over the structure classes (background excluded): 1 is perfect. With
// `labelled` ([N, S + 1] bool), only the (image, structure) pairs its label map labels count.
torch::Tensor softDice(const torch::Tensor& probabilities, const torch::Tensor& classIndices,
                       const torch::Tensor& labelled = {});

// Pixel cross-entropy when some label maps do not label every structure ([N, S + 1] bool
// `labelled`): a background pixel of an image that does not label structure k may be k, so its
// likelihood is that of background or any unlabelled class. Equals the plain cross-entropy when
// every class is labelled.
torch::Tensor partialCrossEntropy(const torch::Tensor& logits, const torch::Tensor& classIndices,
                                  const torch::Tensor& labelled);

}  // namespace cfx
