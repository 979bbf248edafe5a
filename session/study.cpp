#include "study.h"

#include "image_resize.h"
#include "radiograph_reader.h"
#include "tensor_bridge.h"
#include "text_format.h"
#include "validation_error.h"

namespace cfx::session {

Study openStudy(const std::string& path, CounterfactualEngine& engine,
                const std::map<std::string, double>& given) {
  Study study;
  study.path = path;
  study.radiograph = io::readRadiograph(path);
  const int size = int(engine.imageSize());
  study.factual = io::resizeImage(study.radiograph.image, size, size);
  // The 8-bit grey levels the HVAE's likelihood models.
  study.tensor = ((io::toTensor(study.factual) + 1) * 127.5).round() / 127.5 - 1;
  const CausalGraph& graph = engine.graph();
  std::map<std::string, double> values;
  const auto& meta = study.radiograph.metadata;
  if (graph.indexOf("age") && meta.patientAgeYears)
    values["age"] = *meta.patientAgeYears, study.sources.push_back("age from PatientAge");
  if (graph.indexOf("sex") && meta.patientSex)
    values["sex"] = *meta.patientSex == 'M' ? 1.0 : 0.0,
    study.sources.push_back("sex from PatientSex");
  for (const auto& [name, value] : given) {
    values[name] = value;
    study.sources.push_back(name + " given");
  }
  if (graph.indexOf("age") && !values.count("age") && !meta.ageProblem.empty())
    throw ValidationError(path, "age",
                          meta.ageProblem +
                              "; give the age with --attr age=YEARS (or in the "
                              "explorer's panel)");
  // What the header or the user says is a fact about the patient; outside the model's range the
  // flows would extrapolate silently, so it is refused rather than used.
  for (const auto& [name, value] : values) {
    const Variable& variable = graph.variable(name);
    if (value < variable.min || value > variable.max) {
      const bool fromHeader = !given.count(name);
      throw ValidationError(
          path, name,
          formatText("%g%s%s is outside the model's supported range %g-%g", value,
                     variable.unit.empty() ? "" : (" " + variable.unit).c_str(),
                     fromHeader ? " (from the DICOM header)" : "", variable.min, variable.max));
    }
  }
  // What neither the file nor the user gives (sex and age of a PNG, or of a DICOM without them)
  // is estimated from the image by the model's predictors, and said so.
  std::vector<std::string> unknown;
  for (const auto& v : graph.variables())
    if (!v.maskLabel && !values.count(v.name)) unknown.push_back(v.name);
  if (!unknown.empty()) {
    const auto estimates = engine.estimateAttributes(study.tensor);
    for (const auto& name : unknown) {
      const auto found = estimates.find(name);
      if (found == estimates.end()) continue;
      values[name] = found->second;
      study.estimated.push_back(name);
      const Variable& v = graph.variable(name);
      study.sources.push_back(name + " estimated from the image (" +
                              (v.categories.empty() ? formatText("%.0f", found->second) +
                                                          (v.unit.empty() ? "" : " " + v.unit)
                                                    : v.categories[size_t(found->second)]) +
                              "; not in the file: give it if known)");
    }
  }
  auto segmentation = engine.segment(study.tensor);
  study.measuredFactual = std::move(segmentation.areas);
  study.labelsFactual = segmentation.labels;
  study.observed = engine.completeObservation(values, study.measuredFactual);
  for (const auto& [name, value] : study.measuredFactual)
    if (!values.count(name)) study.sources.push_back(name + " measured by the segmentor");
  return study;
}

GrayImage counterfactualAtInputSize(const Study& study, const GrayImage& counterfactual) {
  const GrayImage& input = study.radiograph.image;
  if (input.width == counterfactual.width && input.height == counterfactual.height)
    return counterfactual;
  return io::transferEdit(input, io::fromTensor(study.tensor[0][0]), counterfactual);
}

std::map<std::string, double> parseAttributes(const std::vector<std::string>& specs,
                                              const CausalGraph& graph) {
  std::map<std::string, double> values;
  for (const std::string& spec : specs) {
    const auto eq = spec.find('=');
    const std::string name = spec.substr(0, eq);
    if (eq == std::string::npos || !graph.indexOf(name))
      throw ValidationError("attribute " + spec, "variable",
                            "expected VAR=VALUE with VAR a graph variable");
    const auto value = graph.parseValue(graph.variable(name), spec.substr(eq + 1));
    if (!value)
      throw ValidationError("attribute " + spec, "value", "not a number or category name");
    values[name] = *value;
  }
  return values;
}

}  // namespace cfx::session
