#include "counterfactual_job.h"

#include "device.h"
#include "study.h"
#include "work_monitor.h"

namespace cfx::session {

CounterfactualOutcome runCounterfactualJob(const CounterfactualJob& job) {
  const auto checkpoint = [&] {
    if (job.cancel && job.cancel->load()) throw Interrupted{};
  };
  auto engine = CounterfactualEngine::load(job.modelDir, job.engine);
  checkpoint();
  const CausalGraph& graph = engine->graph();
  const Study study = openStudy(job.input, *engine, parseAttributes(job.attributes, graph));
  std::vector<Intervention> interventions;
  for (const auto& spec : job.interventions)
    interventions.push_back(parseIntervention(spec, graph));
  checkpoint();
  const auto subject = engine->abduct(study.tensor, study.observed);
  checkpoint();
  CounterfactualOutcome outcome{graph, engine->predict(subject, interventions), {}};
  checkpoint();
  outcome.files = exportCounterfactual(
      study, outcome.result,
      {job.outDir, job.modelDir, job.interventions, describeDevice(job.engine.device),
       job.engine.particles, job.engine.latentTemperature});
  return outcome;
}

}  // namespace cfx::session
