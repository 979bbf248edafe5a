#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "causal_graph.h"

namespace cfx::phantom {

// The exogenous noise of one subject. The scalar terms are standard normal (truncated) except the
// sex term, which is uniform; `imageSeed` drives every anatomical and acquisition detail of the
// renderer. Stored per subject so true counterfactuals can be rendered at any later time.
struct Exogenous {
  double sex = 0.0;
  double age = 0.0;
  double heartArea = 0.0;
  double rightLungArea = 0.0;
  double leftLungArea = 0.0;
  std::uint64_t imageSeed = 0;
};

// Values of the scalar variables. Areas are percent of the image area; sex is 0 female, 1 male.
struct Attributes {
  double sex = 0.0;
  double age = 0.0;
  double heartArea = 0.0;
  double rightLungArea = 0.0;
  double leftLungArea = 0.0;

  double get(const std::string& name) const;
  void set(const std::string& name, double value);
};

// Coefficients of the phantom's structural equations (linear-Gaussian with a binary root). Kept
// as data and written beside every generated data set, so the causal truth is inspectable.
struct ScmCoefficients {
  double probabilityMale = 0.5;
  double ageMean = 52.0, ageStd = 14.0;
  double heartBase = 8.6, heartMale = 0.9, heartPerYear = 0.04, heartNoise = 0.75;
  double rightBase = 16.6, rightMale = 1.6, rightPerYear = -0.03, rightNoise = 1.15;
  double leftBase = 15.0, leftMale = 1.4, leftPerYear = -0.025, leftPerHeart = -0.5,
         leftNoise = 1.05;
  double noiseLimit = 2.5;  // truncation of the normal noise terms, in standard deviations

  nlohmann::json toJson() const;
  static ScmCoefficients fromJson(const nlohmann::json& json, const std::string& source);
};

class PhantomScm {
 public:
  explicit PhantomScm(ScmCoefficients coefficients = {});

  const ScmCoefficients& coefficients() const { return coefficients_; }
  // The graph of shared/docs/method.md with the ranges the renderer supports.
  static CausalGraph graph();

  Exogenous sampleExogenous(std::uint64_t subjectSeed) const;
  // Evaluates the structural equations in topological order; variables in `interventions` are
  // set to the given value instead, and their descendants are recomputed with the same noise.
  Attributes evaluate(const Exogenous& noise,
                      const std::map<std::string, double>& interventions = {}) const;

 private:
  ScmCoefficients coefficients_;
};

}  // namespace cfx::phantom
