#include "counterfactual_engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "image_mechanism.h"
#include "model_bundle.h"
#include "stopwatch.h"
#include "trainer.h"
#include "validation_error.h"

namespace cfx {

std::shared_ptr<CounterfactualEngine> CounterfactualEngine::load(const std::string& modelDir,
                                                                 const EngineOptions& options) {
  const std::string source = modelDir + "/model.json";
  try {
    const ImageMechanism mechanism = loadImageMechanism(modelDir);
    auto engine = assemble(loadScalarScm(modelDir), mechanism.hvae, mechanism.parents,
                           mechanism.size, loadSegmentor(modelDir, "segmentor"), options, source);
    engine->hvaeConfig_ = mechanism.config;
    if (ModelBundle::hasComponent(modelDir, "predictors")) {
      engine->predictors_ = loadPredictor(modelDir);
      engine->predictors_->to(options.device);
    }
    return engine;
  } catch (const nlohmann::json::exception& e) {
    // Configurations read their keys through jsonField and name them; this is the rest (a
    // component's JSON that is not an object where one is expected, say).
    throw ValidationError(source, "components",
                          std::string("a value of the wrong type: ") + e.what());
  } catch (const c10::Error& e) {
    throw ValidationError(
        source, "weights",
        std::string("do not fit the configured networks: ") + e.what_without_backtrace());
  }
}

std::shared_ptr<CounterfactualEngine> CounterfactualEngine::assemble(
    ScalarScm scm, Hvae hvae, ParentEncoding parents, int64_t imageSize, Segmentor segmentor,
    const EngineOptions& options, const std::string& source) {
  if (options.particles < 1) throw ValidationError("engine", "particles", "expected at least 1");
  auto engine = std::shared_ptr<CounterfactualEngine>(new CounterfactualEngine());
  engine->options_ = options;
  engine->scm_ = scm;
  engine->hvae_ = hvae;
  engine->parents_ = std::move(parents);
  engine->size_ = imageSize;
  engine->segmentor_ = segmentor;
  if (segmentor->config().size != imageSize)
    throw ValidationError(source, "components.segmentor.config.size",
                          "differs from the HVAE's image size");
  if (engine->parents_.size() != hvae->config().parents)
    throw ValidationError(source, "components.hvae.config.parents",
                          "count differs from the HVAE's parent input");
  // The segmentor measures graph variables; one the graph lacks would be read at a wrong index.
  for (const auto& structure : segmentor->config().structures) {
    const auto index = scm->graph().indexOf(structure.variable);
    if (!index || scm->graph().variables()[*index].kind != VariableKind::Continuous)
      throw ValidationError(
          source, "components.segmentor.config.structures",
          "'" + structure.variable + "' is not a continuous variable of the SCM's graph");
  }
  for (const auto& e : engine->parents_.entries())
    if (!scm->graph().indexOf(e.name))
      throw ValidationError(source, "components.hvae.config.parents",
                            "'" + e.name + "' is not in the SCM's graph");
  hvae->to(options.device);
  hvae->eval();
  hvae->setComputeType(computeType(options.precision));
  segmentor->to(options.device);
  segmentor->eval();
  scm->eval();
  return engine;
}

torch::Tensor CounterfactualEngine::encodeParents(
    const std::map<std::string, double>& values) const {
  const auto& graph = scm_->graph();
  auto row = torch::zeros({1, int64_t(graph.variables().size())});
  for (size_t v = 0; v < graph.variables().size(); ++v)
    row[0][int64_t(v)] = values.at(graph.variables()[v].name);
  return parents_.encode(row, graph).to(options_.device);
}

CounterfactualEngine::Segmentation CounterfactualEngine::segment(const torch::Tensor& image) {
  c10::InferenceMode inference;
  const auto probabilities =
      segmentor_->probabilities(image.view({1, 1, size_, size_}).to(options_.device));
  const auto areas = SegmentorImpl::softAreas(probabilities).cpu();
  Segmentation result;
  const auto& structures = segmentor_->config().structures;
  for (size_t k = 0; k < structures.size(); ++k) {
    result.areas[structures[k].variable] = areas[0][int64_t(k)].item<double>();
    if (!std::isfinite(result.areas[structures[k].variable]))
      throw ValidationError("engine", "segmentor",
                            "measured a non-finite " + structures[k].variable +
                                " (damaged weights, or an image that is not a radiograph?)");
  }
  result.labels = segmentor_->labelMaps(probabilities)[0];
  return result;
}

std::map<std::string, double> CounterfactualEngine::measureAreas(const torch::Tensor& image) {
  return segment(image).areas;
}

std::map<std::string, double> CounterfactualEngine::completeObservation(
    const torch::Tensor& image, const std::map<std::string, double>& given) {
  return completeObservation(given, measureAreas(image));
}

std::map<std::string, double> CounterfactualEngine::completeObservation(
    const std::map<std::string, double>& given,
    const std::map<std::string, double>& measured) const {
  std::map<std::string, double> observed = given;
  for (const auto& v : scm_->graph().variables()) {
    if (observed.count(v.name)) continue;
    const auto it = measured.find(v.name);
    if (it == measured.end())
      throw ValidationError(
          "observation", "variable '" + v.name + "'",
          "missing: give it (e.g. --attr " + v.name + "=...) or use a DICOM that records it");
    observed[v.name] = it->second;
  }
  return observed;
}

std::map<std::string, double> CounterfactualEngine::estimateAttributes(const torch::Tensor& image) {
  std::map<std::string, double> estimates;
  if (!predictors_) return estimates;
  c10::InferenceMode inference;
  const auto input = image.dim() == 2 ? image.view({1, 1, image.size(0), image.size(1)}) : image;
  const auto estimated = predictors_->estimate(input.to(options_.device), graph()).cpu();
  const auto& targets = predictors_->config().targets;
  for (size_t t = 0; t < targets.size(); ++t) {
    const auto index = graph().indexOf(targets[t].name);
    // Areas come from the segmentor.
    if (index && !graph().variables()[*index].maskLabel)
      estimates[targets[t].name] = estimated[0][int64_t(t)].item<double>();
  }
  return estimates;
}

AbductedSubject CounterfactualEngine::abduct(const torch::Tensor& image,
                                             const std::map<std::string, double>& observed) {
  if (image.dim() != 4 || image.size(2) != size_ || image.size(3) != size_)
    throw ValidationError(
        "engine", "image",
        "expected [1, 1, " + std::to_string(size_) + ", " + std::to_string(size_) + "]");
  c10::InferenceMode inference;
  Stopwatch clock(options_.device);
  AbductedSubject subject;
  subject.image = image.to(options_.device);
  at::Generator generator = makeGenerator(options_.seed, 1);
  subject.scalars = abductScalars(*scm_, observed, generator);
  const auto parents = encodeParents(observed);
  subject.timings.scalars = clock.lap();
  const HvaeEncoding encoding = hvae_->encode(subject.image, parents);
  subject.timings.encoder = clock.lap();
  for (int p = 0; p < options_.particles; ++p)
    subject.particles.push_back(
        hvae_->abduct(encoding, subject.image, parents, options_.latentTemperature, &generator));
  subject.timings.posterior = clock.lap();
  return subject;
}

CounterfactualResult CounterfactualEngine::predictImage(
    const AbductedSubject& subject, const std::vector<Intervention>& interventions) {
  c10::InferenceMode inference;
  Stopwatch clock(options_.device);
  CounterfactualResult result;
  // The scalar noise was abducted with the image: a slider move is the SCM's prediction and one
  // decoder pass per particle.
  result.scalars =
      scalarCounterfactual(*scm_, subject.scalars, interventions, options_.rangePolicy);
  const auto parents = encodeParents(result.scalars.counterfactual);
  result.timings.scm = clock.lap();
  std::vector<torch::Tensor> images;
  for (const auto& particle : subject.particles)
    images.push_back(hvae_->counterfactual(particle, parents));
  result.timings.decoder = clock.lap();
  if (images.size() == 1) {
    result.image = images[0][0][0].cpu();
    result.variance = torch::zeros_like(result.image);
  } else {
    const auto stack = torch::cat(images, 0);
    result.image = stack.mean(0)[0].cpu();
    result.variance = stack.var(0, false)[0].cpu();
  }
  if (!torch::isfinite(result.image).all().item<bool>())
    throw ValidationError("engine", "HVAE",
                          "the decoder produced NaN or infinite pixels (damaged weights?)");
  result.timings.copies = clock.lap();
  result.milliseconds = result.timings.total();
  return result;
}

void CounterfactualEngine::measure(CounterfactualResult& result) {
  Stopwatch clock(options_.device);
  // One segmentor pass gives both the areas the panel shows and the overlay's label map.
  auto segmentation = segment(result.image);
  result.measured = std::move(segmentation.areas);
  result.labels = segmentation.labels;
  result.timings.segmentor = clock.lap();
  result.milliseconds = result.timings.total();
}

CounterfactualResult CounterfactualEngine::predict(const AbductedSubject& subject,
                                                   const std::vector<Intervention>& interventions) {
  CounterfactualResult result = predictImage(subject, interventions);
  measure(result);
  return result;
}

}  // namespace cfx
