#include "counterfactual_fine_tuning.h"

#include <cmath>

#include "intervention.h"
#include "validation_error.h"

namespace cfx {

namespace {

const std::vector<std::pair<Guidance, std::string>>& guidanceNames() {
  static const std::vector<std::pair<Guidance, std::string>> names = {
      {Guidance::None, "none"},
      {Guidance::Regressor, "reg"},
      {Guidance::Segmentor, "seg"},
      {Guidance::PositionalSegmentor, "pos-seg"}};
  return names;
}

// Grid regions need a fitted mechanism of the right shape for this segmentor and graph.
void checkRegionalMechanism(const RegionalMechanism& regional, int64_t structures,
                            int64_t variables, int64_t imageSize) {
  const std::string field = "fine_tuning.regional_mechanism";
  if (regional.empty())
    throw ValidationError("fine-tuning", field,
                          "region layout grid needs a mechanism fitted on the training images");
  const int64_t grid = regional.grid;
  checkRegionGrid(grid, imageSize, "fine-tuning", field + ".grid");
  const auto shape = regional.slopes.sizes();
  if (shape.size() != 3 || shape[0] != structures || shape[1] != grid * grid ||
      shape[2] != variables)
    throw ValidationError("fine-tuning", field + ".slopes",
                          "expected " + std::to_string(structures) + " structures x " +
                              std::to_string(grid * grid) + " cells x " +
                              std::to_string(variables) + " variables");
}

void freeze(torch::nn::Module& module) {
  for (auto& p : module.parameters()) p.set_requires_grad(false);
  module.eval();
}

}  // namespace

Guidance parseGuidance(const std::string& text, const std::string& source) {
  for (const auto& [guidance, name] : guidanceNames())
    if (name == text) return guidance;
  throw ValidationError(source, "guidance",
                        "expected none, reg, seg or pos-seg, got '" + text + "'");
}

std::string guidanceName(Guidance guidance) {
  for (const auto& [g, name] : guidanceNames())
    if (g == guidance) return name;
  return "?";
}

nlohmann::json CftConfig::toJson() const {
  nlohmann::json json = {{"guidance", guidanceName(guidance)},
                         {"epsilon_nats_per_dim", epsilon},
                         {"lagrange_learning_rate", lagrangeLearningRate},
                         {"damping", damping},
                         {"initial_lambda", initialLambda},
                         {"soft_labels", softLabels},
                         {"squared_area_loss", squaredAreaLoss},
                         {"area_targets", areaTargets},
                         {"area_weight", areaWeight},
                         {"region_weight", regionWeight},
                         {"region_layout", regionLayout},
                         {"locality_weight", localityWeight},
                         {"locality_dilation", localityDilation},
                         {"locality_region", localityRegion},
                         {"locality_interior_weight", localityInteriorWeight},
                         {"smoothness_weight", smoothnessWeight},
                         {"intervention_values", interventionValues},
                         {"relative_change_min", relativeChangeMin},
                         {"relative_change_max", relativeChangeMax}};
  if (!regional.empty()) json["regional_mechanism"] = regional.toJson();
  return json;
}

CftConfig CftConfig::fromJson(const nlohmann::json& json, const std::string& source) {
  CftConfig c;
  try {
    c.guidance = parseGuidance(json.at("guidance").get<std::string>(), source);
    c.epsilon = json.at("epsilon_nats_per_dim").get<double>();
    c.lagrangeLearningRate = json.at("lagrange_learning_rate").get<double>();
    c.damping = json.at("damping").get<double>();
    c.initialLambda = json.value("initial_lambda", 0.0);
    c.softLabels = json.at("soft_labels").get<bool>();
    c.squaredAreaLoss = json.at("squared_area_loss").get<bool>();
    // Fine-tuned before the field existed: against the recorded areas.
    c.areaTargets = json.value("area_targets", std::string("recorded"));
    c.areaWeight = json.value("area_weight", 1.0);
    c.regionWeight = json.value("region_weight", 1.0);
    c.regionLayout = json.value("region_layout", std::string("bands"));
    c.localityWeight = json.value("locality_weight", 0.0);
    c.localityDilation = json.value("locality_dilation", int64_t(3));
    c.localityRegion = json.value("locality_region", std::string("structure"));
    c.localityInteriorWeight = json.value("locality_interior_weight", 1.0);
    c.smoothnessWeight = json.value("smoothness_weight", 0.0);
    c.interventionValues = json.value("intervention_values", std::string("batch"));
    c.relativeChangeMin = json.value("relative_change_min", 0.1);
    c.relativeChangeMax = json.value("relative_change_max", 0.3);
  } catch (const nlohmann::json::exception& e) {
    throw ValidationError(source, "fine_tuning",
                          std::string("expected guidance, epsilon_nats_per_dim, "
                                      "lagrange_learning_rate, damping, soft_labels, "
                                      "squared_area_loss: ") +
                              e.what());
  }
  if (!std::isfinite(c.epsilon) || c.lagrangeLearningRate < 0 || c.damping < 0 ||
      c.initialLambda < 0 || !(c.areaWeight >= 0) || c.regionWeight < 0 || c.localityWeight < 0 ||
      c.localityDilation < 0 || !(c.localityInteriorWeight >= 0) || !(c.smoothnessWeight >= 0))
    throw ValidationError(source, "fine_tuning",
                          "expected a finite epsilon and non-negative rates, damping and weights");
  checkLocalityRegion(c.localityRegion, source, "fine_tuning.locality_region");
  checkRegionLayout(c.regionLayout, source, "fine_tuning.region_layout");
  if (json.contains("regional_mechanism"))
    c.regional = RegionalMechanism::fromJson(json.at("regional_mechanism"), source);
  checkInterventionValues(c.interventionValues, source, "fine_tuning.intervention_values");
  checkAreaTargets(c.areaTargets, source, "fine_tuning.area_targets");
  checkRelativeChange(c.relativeChangeMin, c.relativeChangeMax, source,
                      "fine_tuning.relative_change_min, relative_change_max");
  return c;
}

CounterfactualFineTuning::CounterfactualFineTuning(CftConfig config, CftModels models,
                                                   torch::Device device)
    : config_(config), models_(std::move(models)), device_(device) {
  freeze(*models_.scm);
  const CausalGraph& graph = models_.scm->graph();
  lambda_ = torch::full({1}, config_.initialLambda, torch::kFloat64);
  if (config_.guidance == Guidance::None) return;
  if (!models_.predictor)
    throw ValidationError("fine-tuning", "predictors", "every guidance but none needs them");
  freeze(*models_.predictor);
  models_.predictor->to(device_);
  const bool segmented =
      config_.guidance == Guidance::Segmentor || config_.guidance == Guidance::PositionalSegmentor;
  if (segmented) {
    if (!models_.segmentor)
      throw ValidationError("fine-tuning", "segmentor", "seg and pos-seg guidance need it");
    freeze(*models_.segmentor);
    models_.segmentor->to(device_);
    std::vector<double> scales;
    for (const auto& s : models_.segmentor->config().structures) {
      const auto column = graph.indexOf(s.variable);
      if (!column)
        throw ValidationError("fine-tuning", "segmentor structure '" + s.variable + "'",
                              "not a variable of the graph");
      structureColumns_.push_back(int64_t(*column));
      scales.push_back(models_.scm->statistics()[*column].std);
    }
    areaScale_ = torch::tensor(scales, torch::kFloat32).to(device_);
    if (config_.guidance == Guidance::PositionalSegmentor && config_.regionLayout == "grid")
      checkRegionalMechanism(config_.regional, int64_t(scales.size()),
                             int64_t(graph.variables().size()), models_.segmentor->config().size);
  }
  for (const auto& target : models_.predictor->config().targets) {
    const auto column = graph.indexOf(target.name);
    if (!column)
      throw ValidationError("fine-tuning", "predictor target '" + target.name + "'",
                            "not a variable of the graph");
    predictorColumns_.push_back(int64_t(*column));
    bool structure = false;
    for (int64_t c : structureColumns_) structure = structure || c == int64_t(*column);
    predictorIsStructure_.push_back(structure);
  }
}

CftInterventions CounterfactualFineTuning::sampleInterventions(const torch::Tensor& attributes,
                                                               at::Generator& generator) {
  torch::NoGradGuard noGrad;
  const auto& variables = models_.scm->graph().variables();
  const int64_t n = attributes.size(0), v = int64_t(variables.size());
  const auto values = attributes.to(torch::kCPU, torch::kFloat32);
  const auto chosen = torch::randint(v, {n}, generator, torch::kInt64);
  const auto donor = torch::randperm(n, generator, torch::kInt64);
  const bool relative = config_.interventionValues == "relative";
  // Drawn only when used, so batch-mode runs keep the random stream of earlier versions and
  // reproduce their models.
  const auto uniform = relative ? torch::rand({n, 2}, generator, torch::kFloat64) : torch::Tensor();
  auto mask = torch::zeros({n, v}, torch::kBool);
  auto targets = values.clone();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t column = chosen[i].item<int64_t>();
    const Variable& variable = variables[size_t(column)];
    mask[i][column] = true;
    const double observed = values[i][column].item<double>();
    double target = values[donor[i].item<int64_t>()][column].item<double>();
    if (relative && variable.kind == VariableKind::Continuous) {
      const double magnitude =
          config_.relativeChangeMin +
          (config_.relativeChangeMax - config_.relativeChangeMin) * uniform[i][0].item<double>();
      target = relativeChangeTarget(variable, observed,
                                    uniform[i][1].item<double>() < 0.5 ? -magnitude : magnitude);
    } else if (variable.kind == VariableKind::Binary) {
      target = 1.0 - observed;
    } else if (variable.kind == VariableKind::Categorical) {
      const int64_t k = int64_t(variable.categories.size());
      const int64_t shift =
          1 + torch::randint(k - 1, {1}, generator, torch::kInt64).item<int64_t>();
      target = double((int64_t(observed) + shift) % k);
    }
    targets[i][column] = target;
  }
  const auto noise = models_.scm->abduct(values, generator);
  const auto counterfactual = models_.scm->counterfactual(values, noise, mask, targets);
  return {mask, counterfactual, models_.scm->affected(mask)};
}

torch::Tensor CounterfactualFineTuning::guidanceLoss(const torch::Tensor& counterfactualImages,
                                                     const torch::Tensor& factualImages,
                                                     const CftInterventions& batch,
                                                     const torch::Tensor& attributes,
                                                     std::map<std::string, double>* scalars) {
  const auto target = batch.counterfactual.to(device_, torch::kFloat32);
  const auto affected = batch.affected.to(device_);
  auto loss = torch::zeros({}, target.options());
  if (config_.guidance == Guidance::None) return loss;
  const bool segmented =
      config_.guidance == Guidance::Segmentor || config_.guidance == Guidance::PositionalSegmentor;

  // Predictor terms: every variable for Reg-CFT, the subject-level ones for the hybrids.
  const auto& targets = models_.predictor->config().targets;
  const auto outputs = models_.predictor->forward(counterfactualImages);
  torch::Tensor factualOutputs;
  if (config_.softLabels) {
    torch::NoGradGuard noGrad;
    factualOutputs = models_.predictor->forward(factualImages);
  }
  for (size_t t = 0; t < targets.size(); ++t) {
    if (segmented && predictorIsStructure_[t]) continue;
    const int64_t column = predictorColumns_[t];
    const auto out = outputs.select(1, int64_t(t));
    // Soft labels only where the variable was left alone and is not a structure area.
    const bool soft = config_.softLabels && !predictorIsStructure_[t];
    const auto keep = affected.select(1, column);
    torch::Tensor term;
    if (targets[t].binary) {
      auto wanted = target.select(1, column);
      if (soft)
        wanted = torch::where(keep, wanted, torch::sigmoid(factualOutputs.select(1, int64_t(t))));
      term = torch::binary_cross_entropy_with_logits(out, wanted);
    } else {
      auto wanted = (target.select(1, column) - targets[t].mean) / targets[t].std;
      if (soft) wanted = torch::where(keep, wanted, factualOutputs.select(1, int64_t(t)));
      term = (out - wanted).pow(2).mean();
    }
    if (scalars) (*scalars)["guide_" + targets[t].name] = term.item<double>();
    loss = loss + term;
  }
  if (config_.smoothnessWeight > 0) {
    const auto roughness = editRoughness(counterfactualImages, factualImages);
    if (scalars) (*scalars)["guide_roughness"] = roughness.item<double>();
    loss = loss + config_.smoothnessWeight * roughness;
  }
  if (!segmented) return loss;

  const auto probabilities = models_.segmentor->probabilities(counterfactualImages);
  const auto columns = torch::tensor(structureColumns_, torch::kInt64).to(device_);
  const auto wantedAreas = target.index_select(1, columns);
  const auto recordedAreas = attributes.to(device_, torch::kFloat32).index_select(1, columns);
  // The frozen segmentor's view of the factual images, shared by the area targets, the locality
  // and the regional terms.
  torch::Tensor factualProbabilities;
  if (config_.areaTargets == "measured" || config_.localityWeight > 0 ||
      config_.guidance == Guidance::PositionalSegmentor) {
    torch::NoGradGuard noGrad;
    factualProbabilities = models_.segmentor->probabilities(factualImages);
  }
  // Structures scale: the target keeps the factual image's measured area in the intended ratio.
  const auto intendedRatio = wantedAreas / recordedAreas.clamp_min(1e-3);
  const auto targetAreas = config_.areaTargets == "measured"
                               ? SegmentorImpl::softAreas(factualProbabilities) * intendedRatio
                               : wantedAreas;
  const auto areas = SegmentorImpl::softAreas(probabilities);
  const auto areaError = (areas - targetAreas) / areaScale_;
  const auto perStructure =
      (config_.squaredAreaLoss ? areaError.pow(2) : areaError.abs()).mean(0);  // [S]
  loss = loss + config_.areaWeight * perStructure.sum();
  if (scalars) {
    const auto& structures = models_.segmentor->config().structures;
    for (size_t k = 0; k < structures.size(); ++k)
      (*scalars)["guide_" + structures[k].variable] = perStructure[int64_t(k)].item<double>();
  }
  if (config_.localityWeight > 0)
    loss = loss + config_.localityWeight * localityLoss(counterfactualImages, factualImages,
                                                        probabilities, factualProbabilities, batch,
                                                        scalars);
  if (config_.guidance == Guidance::PositionalSegmentor && config_.regionLayout == "grid") {
    const int64_t grid = config_.regional.grid;
    torch::Tensor wantedCells;
    {
      torch::NoGradGuard noGrad;
      const auto factual = gridAreas(factualProbabilities, grid);
      wantedCells = config_.regional.counterfactualCells(
          factual, attributes.to(device_, torch::kFloat32), target);
    }
    const auto cellError =
        (gridAreas(probabilities, grid) - wantedCells) / areaScale_.view({1, -1, 1});
    const auto regional =
        (config_.squaredAreaLoss ? cellError.pow(2) : cellError.abs()).sum(2).mean(0).sum();
    if (scalars) (*scalars)["guide_regions"] = regional.item<double>();
    loss = loss + config_.regionWeight * regional;
  } else if (config_.guidance == Guidance::PositionalSegmentor) {
    // Each region keeps its share of the structure: the factual regional areas, scaled by the
    // structure's counterfactual / factual area, are the targets of the regional variables.
    torch::Tensor wantedRegions;
    {
      torch::NoGradGuard noGrad;
      const auto factual = models_.segmentor->regionalAreas(factualProbabilities);  // [N, S, B]
      wantedRegions = factual * intendedRatio.unsqueeze(2);
    }
    const auto regions = models_.segmentor->regionalAreas(probabilities);
    const auto regionError = (regions - wantedRegions) / areaScale_.view({1, -1, 1});
    const auto regional =
        (config_.squaredAreaLoss ? regionError.pow(2) : regionError.abs()).sum(2).mean(0).sum();
    if (scalars) (*scalars)["guide_regions"] = regional.item<double>();
    loss = loss + config_.regionWeight * regional;
  }
  return loss;
}

void checkRegionLayout(const std::string& layout, const std::string& source,
                       const std::string& field) {
  if (layout != "bands" && layout != "grid")
    throw ValidationError(source, field, "expected bands or grid, got '" + layout + "'");
}

void checkAreaTargets(const std::string& targets, const std::string& source,
                      const std::string& field) {
  if (targets != "recorded" && targets != "measured")
    throw ValidationError(source, field, "expected recorded or measured, got '" + targets + "'");
}

void checkInterventionValues(const std::string& values, const std::string& source,
                             const std::string& field) {
  if (values != "batch" && values != "relative")
    throw ValidationError(source, field, "expected batch or relative, got '" + values + "'");
}

void checkRelativeChange(double min, double max, const std::string& source,
                         const std::string& field) {
  if (!(min >= 0 && min <= max && max < 1))
    throw ValidationError(
        source, field,
        "expected 0 <= min <= max < 1, got " + std::to_string(min) + " and " + std::to_string(max));
}

void checkLocalityRegion(const std::string& region, const std::string& source,
                         const std::string& field) {
  if (region != "structure" && region != "boundary")
    throw ValidationError(source, field, "expected structure or boundary, got '" + region + "'");
}

torch::Tensor localityRegion(const torch::Tensor& factualClasses,
                             const torch::Tensor& counterfactualClasses, const torch::Tensor& hit,
                             const std::string& mode, int64_t dilation) {
  const auto dilate = [](const torch::Tensor& m, int64_t r) {
    return torch::max_pool2d(m.unsqueeze(1), {2 * r + 1, 2 * r + 1}, {1, 1}, {r, r}).squeeze(1);
  };
  auto region =
      torch::zeros(factualClasses.sizes(), factualClasses.options().dtype(torch::kFloat32));
  for (int64_t k = 0; k < hit.size(1); ++k) {
    const auto factual = (factualClasses == k + 1).to(torch::kFloat32);
    const auto counterfactual = (counterfactualClasses == k + 1).to(torch::kFloat32);
    torch::Tensor allowed;
    if (mode == "boundary") {
      // Where the class changed, and the one-pixel rim on either side of the factual border.
      const auto rim = dilate(factual, 1) + dilate(-factual, 1);
      allowed = torch::maximum((factual - counterfactual).abs(), rim);
    } else {
      allowed = torch::maximum(factual, counterfactual);
    }
    region =
        torch::maximum(region, allowed * hit.select(1, k).to(torch::kFloat32).view({-1, 1, 1}));
  }
  return dilation > 0 ? dilate(region, dilation) : region;
}

torch::Tensor localityCharge(const torch::Tensor& factualClasses,
                             const torch::Tensor& counterfactualClasses, const torch::Tensor& hit,
                             const torch::Tensor& intervened, const std::string& mode,
                             int64_t dilation, double interiorWeight) {
  const auto charged =
      1 - localityRegion(factualClasses, counterfactualClasses, hit, mode, dilation);
  if (interiorWeight == 1.0) return charged;
  const auto occupied =
      localityRegion(factualClasses, counterfactualClasses, intervened, "structure", dilation);
  return charged * (1 - occupied * (1 - interiorWeight));
}

torch::Tensor CounterfactualFineTuning::localityLoss(
    const torch::Tensor& counterfactualImages, const torch::Tensor& factualImages,
    const torch::Tensor& counterfactualProbabilities, const torch::Tensor& factualProbabilities,
    const CftInterventions& batch, std::map<std::string, double>* scalars) {
  torch::Tensor charge, rows;
  {
    torch::NoGradGuard noGrad;
    const auto factualClasses = factualProbabilities.argmax(1);  // [N, H, W]
    const auto columns = torch::tensor(structureColumns_, torch::kInt64).to(device_);
    const auto hit = batch.affected.to(device_).index_select(1, columns);
    const auto intervened = batch.mask.to(device_).index_select(1, columns);
    rows = intervened.any(1);
    charge = localityCharge(factualClasses, counterfactualProbabilities.argmax(1), hit, intervened,
                            config_.localityRegion, config_.localityDilation,
                            config_.localityInteriorWeight)
                 .unsqueeze(1);
  }
  // Only structure interventions: a change of age or sex may legitimately reach every pixel.
  const auto weight = charge * rows.to(charge.dtype()).view({-1, 1, 1, 1});
  const auto change = (counterfactualImages - factualImages).abs() * 127.5;
  // Averaged over the charged pixels, so the weight keeps its meaning in grey levels whatever
  // the interior's share of the charge.
  const auto term = (change * weight).sum() / (weight > 0).sum().to(weight.dtype()).clamp_min(1.0);
  if (scalars) (*scalars)["guide_locality"] = term.item<double>();
  return term;
}

torch::Tensor editRoughness(const torch::Tensor& counterfactualImages,
                            const torch::Tensor& factualImages) {
  const auto change = (counterfactualImages - factualImages) * 127.5;
  const int64_t h = change.size(2), w = change.size(3);
  const auto acrossRows = (change.narrow(2, 1, h - 1) - change.narrow(2, 0, h - 1)).abs().mean();
  const auto acrossColumns = (change.narrow(3, 1, w - 1) - change.narrow(3, 0, w - 1)).abs().mean();
  return (acrossRows + acrossColumns) / 2;
}

StepResult CounterfactualFineTuning::step(const torch::Tensor& images,
                                          const torch::Tensor& attributes,
                                          at::Generator& generator) {
  const CausalGraph& graph = models_.scm->graph();
  const auto factualParents = models_.parents.encode(attributes.to(torch::kCPU), graph).to(device_);
  auto [elbo, abduction] = models_.hvae->lossAndAbduction(images, factualParents, &generator);
  const auto constraint = elbo.nelbo - config_.epsilon;
  std::map<std::string, double> scalars;
  auto guide = torch::zeros({}, elbo.nelbo.options());
  if (config_.guidance != Guidance::None) {
    const CftInterventions batch = sampleInterventions(attributes, generator);
    const auto parents = models_.parents.encode(batch.counterfactual, graph).to(device_);
    const auto counterfactual = models_.hvae->counterfactual(abduction, parents);
    guide = guidanceLoss(counterfactual, images, batch, attributes, &scalars);
  }
  const double c = constraint.item<double>();
  const double multiplier = lambda_.item<double>() + config_.damping * c;
  const auto loss = guide + multiplier * constraint;
  scalars["guide"] = guide.item<double>();
  scalars["nelbo"] = elbo.nelbo.item<double>();
  scalars["kl"] = elbo.kl.item<double>();
  scalars["constraint"] = c;
  scalars["lambda"] = lambda_.item<double>();
  // Projected gradient ascent on the multiplier: it grows while the constraint is violated.
  if (std::isfinite(c))
    lambda_.fill_(std::max(0.0, lambda_.item<double>() + config_.lagrangeLearningRate * c));
  return {loss, scalars};
}

}  // namespace cfx
