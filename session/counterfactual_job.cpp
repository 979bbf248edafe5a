#include "counterfactual_job.h"

#include "device.h"
#include "study.h"

namespace cfx::session {

CounterfactualOutcome runCounterfactualJob(const CounterfactualJob& job) {
  auto engine = CounterfactualEngine::load(job.modelDir, job.engine);
  const CausalGraph& graph = engine->graph();
  const Study study = openStudy(job.input, *engine, parseAttributes(job.attributes, graph));
  std::vector<Intervention> interventions;
  for (const auto& spec : job.interventions)
    interventions.push_back(parseIntervention(spec, graph));
  const auto subject = engine->abduct(study.tensor, study.observed);
  CounterfactualOutcome outcome{graph, engine->predict(subject, interventions), {}};
  outcome.files = exportCounterfactual(
      study, outcome.result,
      {job.outDir, job.modelDir, job.interventions, describeDevice(job.engine.device),
       job.engine.particles, job.engine.latentTemperature});
  return outcome;
}

}  // namespace cfx::session
