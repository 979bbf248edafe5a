#pragma once

#include <torch/torch.h>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hvae.h"
#include "intervention.h"
#include "parent_encoding.h"
#include "precision.h"
#include "predictor.h"
#include "scalar_counterfactual.h"
#include "scalar_scm.h"
#include "segmentor.h"

namespace cfx {

struct EngineOptions {
  torch::Device device = torch::kCPU;
  int particles = 1;               // abductions per image; > 1 gives a per-pixel variance
  double latentTemperature = 1.0;  // spread of the abducted latents about the posterior mean
  OutOfRangePolicy rangePolicy = OutOfRangePolicy::Reject;
  std::uint64_t seed = 0;  // abduction noise: the same image gives the same answer
  Precision precision = Precision::Float32;  // of the HVAE's convolutions (see precision.h)
};

// Where the time of one abduction went, in milliseconds.
struct AbductionTimings {
  double scalars = 0.0;    // the SCM's noise
  double encoder = 0.0;    // the HVAE encoder, once per image
  double posterior = 0.0;  // the posterior decoder pass, once per particle
  double total() const { return scalars + encoder + posterior; }
};

// Where the time of one prediction went, in milliseconds. The image is ready after the first
// three; the segmentor's measurement of it can follow while it is shown.
struct PredictionTimings {
  double scm = 0.0;        // the scalar counterfactual
  double decoder = 0.0;    // one HVAE decoder pass per particle
  double copies = 0.0;     // mean over particles, checks, the copy to the CPU
  double segmentor = 0.0;  // areas and label map of the counterfactual
  double image() const { return scm + decoder + copies; }
  double total() const { return image() + segmentor; }
};

// The exogenous state of one image: computed once, reused by every intervention.
struct AbductedSubject {
  torch::Tensor image;      // [1, 1, S, S] on the engine's device, in [-1, 1]
  ScalarAbduction scalars;  // every graph variable's value and noise
  std::vector<HvaeAbduction> particles;
  AbductionTimings timings;
};

struct CounterfactualResult {
  torch::Tensor image;     // [S, S] mean over particles, in [-1, 1], on the CPU
  torch::Tensor variance;  // [S, S] per-pixel variance over particles (zeros for one particle)
  ScalarCounterfactual scalars;            // factual and counterfactual values, what changed
  std::map<std::string, double> measured;  // structure areas the segmentor finds on `image`
  torch::Tensor labels;                    // [S, S] uint8: its label map of `image` (overlays)
  double milliseconds = 0.0;               // the cost of this prediction
  PredictionTimings timings;
};

// The deep SCM of a model folder: scalar SCM, HVAE and segmentor. Abduct once per image, then
// predict any intervention with one decoder pass per particle.
class CounterfactualEngine {
 public:
  static std::shared_ptr<CounterfactualEngine> load(const std::string& modelDir,
                                                    const EngineOptions& options);
  // From components already in memory (benchmarks, tests); `source` names them in errors.
  static std::shared_ptr<CounterfactualEngine> assemble(ScalarScm scm, Hvae hvae,
                                                        ParentEncoding parents, int64_t imageSize,
                                                        Segmentor segmentor,
                                                        const EngineOptions& options,
                                                        const std::string& source);

  int64_t imageSize() const { return size_; }
  const CausalGraph& graph() const { return scm_->graph(); }
  const EngineOptions& options() const { return options_; }
  // The stored configuration of the HVAE component (records its fine-tuning, if any); empty for
  // an engine assembled in memory.
  const nlohmann::json& hvaeConfig() const { return hvaeConfig_; }
  // The HVAE's architecture (for a model folder or one assembled in memory alike).
  const HvaeConfig& hvaeNetwork() const { return hvae_->config(); }

  // What one segmentor pass finds on an image ([1, 1, S, S] or [S, S]): structure areas (percent
  // of the image) by variable, and the hard label map [S, S] uint8 on the CPU (for overlays).
  struct Segmentation {
    std::map<std::string, double> areas;
    torch::Tensor labels;
  };
  Segmentation segment(const torch::Tensor& image);
  // Structure areas (percent of the image) measured by the segmentor: [variable] -> value.
  std::map<std::string, double> measureAreas(const torch::Tensor& image);
  // Fills structure variables that `given` lacks from the segmentor; anything else missing is an
  // error naming it.
  std::map<std::string, double> completeObservation(const torch::Tensor& image,
                                                    const std::map<std::string, double>& given);
  // The same with areas already measured (to run the segmentor once per image).
  std::map<std::string, double> completeObservation(
      const std::map<std::string, double>& given,
      const std::map<std::string, double>& measured) const;
  // The predictors' estimates from the image of the variables that are not structure areas (sex
  // 0/1, age), within the graph's ranges, for a file that does not record them; empty when the
  // model folder has no predictors.
  std::map<std::string, double> estimateAttributes(const torch::Tensor& image);
  AbductedSubject abduct(const torch::Tensor& image, const std::map<std::string, double>& observed);
  // The counterfactual image and scalars, then the segmentor's measurement of the image.
  CounterfactualResult predict(const AbductedSubject& subject,
                               const std::vector<Intervention>& interventions);
  // The same in two steps, so that the image can be shown before it is measured: the result of
  // predictImage has no `measured` and no `labels` until measure fills them in.
  CounterfactualResult predictImage(const AbductedSubject& subject,
                                    const std::vector<Intervention>& interventions);
  void measure(CounterfactualResult& result);

 private:
  torch::Tensor encodeParents(const std::map<std::string, double>& values) const;

  EngineOptions options_;
  int64_t size_ = 0;
  ScalarScm scm_{nullptr};
  Hvae hvae_{nullptr};
  Segmentor segmentor_{nullptr};
  Predictor predictors_{nullptr};  // optional: estimates what a file does not record
  ParentEncoding parents_;
  nlohmann::json hvaeConfig_;
};

}  // namespace cfx
