#include "phantom_scm.h"

#include "random_stream.h"
#include "validation_error.h"

namespace cfx::phantom {
namespace {

// (name, member) pairs, so that JSON reading, writing and the Attributes accessors cannot drift.
struct CoefficientField {
  const char* name;
  double ScmCoefficients::*member;
};
constexpr CoefficientField kCoefficientFields[] = {
    {"probability_male", &ScmCoefficients::probabilityMale},
    {"age_mean", &ScmCoefficients::ageMean},
    {"age_std", &ScmCoefficients::ageStd},
    {"heart_base", &ScmCoefficients::heartBase},
    {"heart_male", &ScmCoefficients::heartMale},
    {"heart_per_year", &ScmCoefficients::heartPerYear},
    {"heart_noise", &ScmCoefficients::heartNoise},
    {"right_base", &ScmCoefficients::rightBase},
    {"right_male", &ScmCoefficients::rightMale},
    {"right_per_year", &ScmCoefficients::rightPerYear},
    {"right_noise", &ScmCoefficients::rightNoise},
    {"left_base", &ScmCoefficients::leftBase},
    {"left_male", &ScmCoefficients::leftMale},
    {"left_per_year", &ScmCoefficients::leftPerYear},
    {"left_per_heart", &ScmCoefficients::leftPerHeart},
    {"left_noise", &ScmCoefficients::leftNoise},
    {"noise_limit", &ScmCoefficients::noiseLimit},
};

struct AttributeField {
  const char* name;
  double Attributes::*member;
};
constexpr AttributeField kAttributeFields[] = {
    {"sex", &Attributes::sex},
    {"age", &Attributes::age},
    {"heart_area", &Attributes::heartArea},
    {"right_lung_area", &Attributes::rightLungArea},
    {"left_lung_area", &Attributes::leftLungArea},
};

}  // namespace

double Attributes::get(const std::string& name) const {
  for (const auto& f : kAttributeFields)
    if (name == f.name) return this->*f.member;
  throw ValidationError("phantom", "variable '" + name + "'", "not a phantom variable");
}

void Attributes::set(const std::string& name, double value) {
  for (const auto& f : kAttributeFields)
    if (name == f.name) {
      this->*f.member = value;
      return;
    }
  throw ValidationError("phantom", "variable '" + name + "'", "not a phantom variable");
}

nlohmann::json ScmCoefficients::toJson() const {
  nlohmann::json json;
  for (const auto& f : kCoefficientFields) json[f.name] = this->*f.member;
  return json;
}

ScmCoefficients ScmCoefficients::fromJson(const nlohmann::json& json, const std::string& source) {
  ScmCoefficients c;
  for (const auto& f : kCoefficientFields) {
    if (!json.contains(f.name) || !json.at(f.name).is_number())
      throw ValidationError(source, std::string("scm.") + f.name, "missing or not a number");
    c.*f.member = json.at(f.name).get<double>();
  }
  return c;
}

PhantomScm::PhantomScm(ScmCoefficients coefficients) : coefficients_(coefficients) {}

CausalGraph PhantomScm::graph() {
  std::vector<Variable> v(5);
  v[0] = {"sex", VariableKind::Binary, "", 0, 1, {}, {"F", "M"}, std::nullopt};
  v[1] = {"age", VariableKind::Continuous, "years", 18, 95, {}, {}, std::nullopt};
  v[2] = {"heart_area", VariableKind::Continuous, "% of image", 4, 16, {"sex", "age"}, {}, 3};
  v[3] = {"right_lung_area", VariableKind::Continuous, "% of image", 8, 26, {"sex", "age"}, {}, 1};
  v[4] = {"left_lung_area",
          VariableKind::Continuous,
          "% of image",
          8,
          23,
          {"sex", "age", "heart_area"},
          {},
          2};
  return CausalGraph::fromVariables(std::move(v), "phantom graph");
}

Exogenous PhantomScm::sampleExogenous(std::uint64_t subjectSeed) const {
  RandomStream rng(subjectSeed);
  Exogenous u;
  const double limit = coefficients_.noiseLimit;
  u.sex = rng.uniform();
  u.age = rng.truncatedNormal(limit);
  u.heartArea = rng.truncatedNormal(limit);
  u.rightLungArea = rng.truncatedNormal(limit);
  u.leftLungArea = rng.truncatedNormal(limit);
  u.imageSeed = rng.nextBits();
  return u;
}

Attributes PhantomScm::evaluate(const Exogenous& u,
                                const std::map<std::string, double>& interventions) const {
  const ScmCoefficients& c = coefficients_;
  Attributes a;
  // Each line: the intervened value if there is one, else the mechanism applied to the current
  // (possibly intervened) parents and the subject's own noise. Order is topological.
  auto assign = [&](const char* name, double mechanism) {
    const auto it = interventions.find(name);
    a.set(name, it != interventions.end() ? it->second : mechanism);
  };
  assign("sex", u.sex < c.probabilityMale ? 1.0 : 0.0);
  assign("age", c.ageMean + c.ageStd * u.age);
  const double years = a.age - c.ageMean;  // the *_base terms hold at the mean age
  assign("heart_area",
         c.heartBase + c.heartMale * a.sex + c.heartPerYear * years + c.heartNoise * u.heartArea);
  assign("right_lung_area", c.rightBase + c.rightMale * a.sex + c.rightPerYear * years +
                                c.rightNoise * u.rightLungArea);
  assign("left_lung_area", c.leftBase + c.leftMale * a.sex + c.leftPerYear * years +
                               c.leftPerHeart * (a.heartArea - c.heartBase) +
                               c.leftNoise * u.leftLungArea);
  for (const auto& [name, value] : interventions) (void)a.get(name);  // rejects unknown names
  return a;
}

}  // namespace cfx::phantom
