#pragma once

#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hvae.h"
#include "parent_encoding.h"
#include "predictor.h"
#include "regional_mechanism.h"
#include "scalar_scm.h"
#include "segmentor.h"
#include "trainer.h"

namespace cfx {

// What checks the counterfactual during fine-tuning (method.md section 4).
enum class Guidance {
  None,                // the ELBO constraint alone: the control for "more training"
  Regressor,           // Reg-CFT: anti-causal predictors for every variable
  Segmentor,           // Seg-CFT: segmentor areas for structures, predictors for the rest
  PositionalSegmentor  // Pos-Seg-CFT: Seg-CFT plus the areas of each structure's regions
};
Guidance parseGuidance(const std::string& text, const std::string& source);
std::string guidanceName(Guidance guidance);

struct CftConfig {
  Guidance guidance = Guidance::Segmentor;
  // The constraint: NELBO(x, pa) <= epsilon, in nats per dimension; measured from the pretrained
  // model on the training set by `cfx train cft` and stored, never typed in.
  double epsilon = 0.0;
  double lagrangeLearningRate = 1e-2;  // gradient ascent on lambda
  double damping = 100.0;              // d in (lambda + d * stopgrad(c)) * c
  double initialLambda = 0.0;
  // Non-intervened subject-level variables are pulled toward the predictor's own soft prediction
  // on the factual image instead of the hard label (against attribute amplification).
  bool softLabels = true;
  bool squaredAreaLoss = false;  // L1 (default) or squared error of the normalised area
  // What a structure's counterfactual area is compared with: "recorded", the counterfactual value
  // the SCM gives from the manifest's area (the paper's); "measured", the frozen segmentor's area
  // of the factual image scaled by counterfactual / recorded. On real films a segmentor misreads
  // the recorded areas by 3.5-6.3 % of a structure (models/cxr), a third of a typical edit, and
  // with "recorded" the guidance spends itself correcting that misreading on unedited images
  // instead of learning the edit; "measured" asks for exactly the intended change and nothing where
  // there is none.
  std::string areaTargets = "recorded";
  // Seg-CFT and Pos-Seg-CFT: weight of the structures' area terms against the predictors' terms
  // (sex, age) and the constraint.
  double areaWeight = 1.0;
  double regionWeight = 1.0;  // Pos-Seg-CFT: weight of the regional terms
  // Pos-Seg-CFT's regions: "bands", cranio-caudal bands of each structure's own extent whose
  // shares of the structure are kept (method.md); "grid", cells fixed in the image whose areas
  // follow `regional`, a mechanism fitted on the training images by `cfx train cft`.
  std::string regionLayout = "bands";
  RegionalMechanism regional;
  // An extension beyond the paper (0 = off): for structure interventions, the mean absolute
  // change in grey levels outside the affected structures (the frozen segmentor's masks on the
  // factual and counterfactual images, dilated by localityDilation pixels) is added with this
  // weight. No user-drawn masks are involved.
  double localityWeight = 0.0;
  int64_t localityDilation = 3;
  // Where a structure intervention may change pixels: "structure" = anywhere inside the affected
  // structures; "boundary" = only where a structure's class changed or near its factual border,
  // so tissue that stays what it was keeps its appearance (a smaller lung moves its wall, it does
  // not grey out).
  std::string localityRegion = "structure";
  // With "boundary": the charge for changing a pixel inside the intervened structure (but away
  // from its border), relative to a pixel outside it. Below 1 it spends the
  // locality budget on what the causal graph forbids (change far from the edit) rather than on
  // the structure's own tissue; 1 charges both alike.
  double localityInteriorWeight = 1.0;
  // An extension beyond the paper (0 = off): weight of editRoughness, the roughness of every
  // row's change. A moved border changes a band that is smooth along the border; streaks and
  // speckle that fool the segmentor without moving anything (models/cxr, run g) are rough.
  double smoothnessWeight = 0.0;
  // Where a continuous intervention's value comes from (method.md section 4 names both): "batch",
  // another element's value (the data distribution), or "relative", a change of the observed value
  // by a fraction drawn uniformly from [relativeChangeMin, relativeChangeMax] with a random sign
  // (relativeChangeTarget: structures scale, other variables move by that share of their range).
  std::string interventionValues = "batch";
  double relativeChangeMin = 0.1;
  double relativeChangeMax = 0.3;

  nlohmann::json toJson() const;
  static CftConfig fromJson(const nlohmann::json& json, const std::string& source);
};

// The frozen parts of the deep SCM and the guidance networks; only the HVAE is fine-tuned.
struct CftModels {
  ScalarScm scm{nullptr};
  Hvae hvae{nullptr};
  ParentEncoding parents;
  Segmentor segmentor{nullptr};
  Predictor predictor{nullptr};
};

// Throws a ValidationError naming source and field unless `region` is structure or boundary.
void checkLocalityRegion(const std::string& region, const std::string& source,
                         const std::string& field);

// Throws a ValidationError naming source and field unless `layout` is bands or grid.
void checkRegionLayout(const std::string& layout, const std::string& source,
                       const std::string& field);

// Throws a ValidationError naming source and field unless `targets` is recorded or measured.
void checkAreaTargets(const std::string& targets, const std::string& source,
                      const std::string& field);
// Throws a ValidationError naming source and field unless `values` is batch or relative.
void checkInterventionValues(const std::string& values, const std::string& source,
                             const std::string& field);

// Throws a ValidationError naming source and field unless 0 <= min <= max < 1: the sizes of
// relative changes drawn for fine-tuning.
void checkRelativeChange(double min, double max, const std::string& source,
                         const std::string& field);

// Pixels a structure intervention may change (1) and must leave alone (0), [N, H, W] float:
// classes are the segmentor's label maps (0 background, k + 1 = structure k), hit [N, S] says
// which structures each row's intervention affects; the region is dilated by `dilation` pixels.
torch::Tensor localityRegion(const torch::Tensor& factualClasses,
                             const torch::Tensor& counterfactualClasses, const torch::Tensor& hit,
                             const std::string& mode, int64_t dilation);

// The charge per changed pixel of the locality term, [N, H, W] float: 0 where the intervention
// may change pixels (localityRegion over the affected structures `hit`), `interiorWeight` on the
// remaining pixels inside an intervened structure before or after (`intervened` [N, S], dilated
// like the region), 1 everywhere else. A descendant's interior is charged in full: the SCM moves
// its area, which its border carries; its tissue has no reason to change.
torch::Tensor localityCharge(const torch::Tensor& factualClasses,
                             const torch::Tensor& counterfactualClasses, const torch::Tensor& hit,
                             const torch::Tensor& intervened, const std::string& mode,
                             int64_t dilation, double interiorWeight);

// Mean absolute difference between neighbouring pixels (across rows and across columns) of the
// change counterfactual - factual, in grey levels of 255 for images in [-1, 1]: 0 for a change
// that is the same everywhere, larger for speckle than for a band of the same size. A scalar.
torch::Tensor editRoughness(const torch::Tensor& counterfactualImages,
                            const torch::Tensor& factualImages);

// One batch's interventions: which variable of each element was set, and the resulting parents.
struct CftInterventions {
  torch::Tensor mask;            // [N, V] bool: the intervened entry of each row
  torch::Tensor counterfactual;  // [N, V] natural units, descendants propagated by the SCM
  torch::Tensor affected;        // [N, V] bool: intervened entries and their descendants
};

// The fine-tuning objective: L_guide(x*, pa*) + (lambda + d * stopgrad(c)) * c, with
// c = NELBO(x, pa) - epsilon and lambda updated by projected gradient ascent after every step.
class CounterfactualFineTuning {
 public:
  CounterfactualFineTuning(CftConfig config, CftModels models, torch::Device device);

  const CftConfig& config() const { return config_; }
  double lambda() const { return lambda_.item<double>(); }
  // The multiplier as a tensor the trainer checkpoints and restores in place.
  torch::Tensor lambdaState() const { return lambda_; }

  // One intervention per element: a variable chosen uniformly; a continuous value taken from
  // another element of the batch (the data distribution), a binary one flipped.
  CftInterventions sampleInterventions(const torch::Tensor& attributes, at::Generator& generator);
  // The loss of one batch (images in [-1, 1], 8-bit quantised; attributes [N, V] in graph order)
  // and the numbers to log. Updates lambda.
  StepResult step(const torch::Tensor& images, const torch::Tensor& attributes,
                  at::Generator& generator);
  // The guidance term alone for given counterfactual images and parents (tests, evaluation).
  torch::Tensor guidanceLoss(const torch::Tensor& counterfactualImages,
                             const torch::Tensor& factualImages, const CftInterventions& batch,
                             const torch::Tensor& attributes,
                             std::map<std::string, double>* scalars = nullptr);

 private:
  torch::Tensor localityLoss(const torch::Tensor& counterfactualImages,
                             const torch::Tensor& factualImages,
                             const torch::Tensor& counterfactualProbabilities,
                             const torch::Tensor& factualProbabilities,
                             const CftInterventions& batch, std::map<std::string, double>* scalars);

  CftConfig config_;
  CftModels models_;
  torch::Device device_;
  torch::Tensor lambda_;
  std::vector<int64_t> structureColumns_;  // graph column of each segmented structure
  std::vector<int64_t> predictorColumns_;  // graph column of each predictor target
  std::vector<bool> predictorIsStructure_;
  torch::Tensor areaScale_;  // [S]: std of each structure variable, from the SCM's statistics
};

}  // namespace cfx
