#include <torch/torch.h>
#include <QtTest>

#include "counterfactual_engine.h"
#include "counterfactual_fine_tuning.h"
#include "image_mechanism.h"
#include "model_bundle.h"
#include "phantom_subject.h"
#include "predictor.h"
#include "random_stream.h"
#include "scalar_scm.h"
#include "segmentor.h"
#include "tensor_bridge.h"

using namespace cfx;

namespace {

// A phantom subject no training run saw: its 8-bit image as the engine takes it ([1, 1, S, S] in
// [-1, 1]) and the values of every graph variable.
struct FreshSubject {
  torch::Tensor image;
  std::map<std::string, double> observed;
};

FreshSubject freshSubject(uint64_t stream, uint64_t index, int64_t size, const CausalGraph& graph) {
  const phantom::PhantomScm scm;
  const auto subject = phantom::renderSubject(
      scm, scm.sampleExogenous(phantom::RandomStream::derive(stream, index)), int(size));
  FreshSubject fresh{((io::toTensor(subject.image) + 1) * 127.5).round() / 127.5 - 1, {}};
  for (const auto& v : graph.variables()) fresh.observed[v.name] = subject.attributes.get(v.name);
  return fresh;
}

}  // namespace

// The committed model folder loads, and its networks still do their job on freshly rendered
// phantom subjects (a seed no training run used).
class TestDefaultModel : public QObject {
  Q_OBJECT
  const std::string dir_ = CFX_SOURCE_DIR "/models/phantom";

 private Q_SLOTS:
  void initTestCase() { torch::set_num_threads(2); }

  void segmentorsMeasureFreshSubjects() {
    const phantom::PhantomScm scm;
    for (const char* name : {"segmentor", "eval_segmentor"}) {
      Segmentor segmentor = loadSegmentor(dir_, name);
      torch::NoGradGuard noGrad;
      for (int i = 0; i < 3; ++i) {
        const auto subject =
            phantom::renderSubject(scm, scm.sampleExogenous(phantom::RandomStream::derive(99, i)),
                                   int(segmentor->config().size));
        const auto areas =
            SegmentorImpl::softAreas(segmentor->probabilities(io::toTensor(subject.image)));
        for (size_t k = 0; k < segmentor->config().structures.size(); ++k) {
          const double wanted = subject.attributes.get(segmentor->config().structures[k].variable);
          QVERIFY2(std::abs(areas[0][int64_t(k)].item<double>() - wanted) < 0.5,
                   qPrintable(QString("%1 %2: %3 vs %4")
                                  .arg(name)
                                  .arg(k)
                                  .arg(areas[0][int64_t(k)].item<double>())
                                  .arg(wanted)));
        }
      }
    }
  }

  void engineReproducesAnImageUnderTheNullIntervention() {
    auto engine = CounterfactualEngine::load(dir_, EngineOptions{});
    const auto [image, observed] = freshSubject(77, 1, engine->imageSize(), engine->graph());
    const auto abducted = engine->abduct(image, observed);
    const auto same = engine->predict(abducted, {});
    QVERIFY((same.image - image[0][0]).abs().max().item<double>() < 1.0 / 255.0);
    const auto changed = engine->predict(
        abducted, {parseIntervention("sex=" + std::string(observed.at("sex") > 0.5 ? "F" : "M"),
                                     engine->graph())});
    QVERIFY((changed.image - image[0][0]).abs().mean().item<double>() > 1e-3);
  }

  // The bf16 option against fp32 on three subjects, for every variable's intervention: a mean
  // difference under 0.3 grey levels and 99 % of pixels within 2 (measured: mean 0.14, 99th
  // percentile 1.54; the largest 11.3 grey levels, at the edge of a structure that moves, where a
  // rounding shifts the edge by a fraction of a pixel); the null intervention still returns the
  // input within 1/255. Showing the image first and measuring it after gives predict's areas.
  void bf16StaysCloseToFp32() {
    if (!hasNativeBFloat16(torch::kCPU)) QSKIP("this CPU has no AVX512-BF16");
    EngineOptions fp32Options, bf16Options;
    bf16Options.precision = Precision::BFloat16;
    bf16Options.rangePolicy = fp32Options.rangePolicy = OutOfRangePolicy::Clamp;
    auto fp32 = CounterfactualEngine::load(dir_, fp32Options);
    auto bf16 = CounterfactualEngine::load(dir_, bf16Options);
    const auto& graph = fp32->graph();
    std::vector<torch::Tensor> differences;
    for (uint64_t index = 1; index <= 3; ++index) {
      const auto [image, observed] = freshSubject(91, index, fp32->imageSize(), graph);
      const auto a = fp32->abduct(image, observed), b = bf16->abduct(image, observed);
      QVERIFY((bf16->predict(b, {}).image - image[0][0]).abs().max().item<double>() < 1.0 / 255);
      for (const char* spec : {observed.at("sex") > 0.5 ? "sex=M" : "sex=F", "age=+20",
                               "heart_area=+20%", "left_lung_area=-20%", "right_lung_area=-20%"}) {
        const std::vector<Intervention> interventions = {parseIntervention(spec, graph)};
        auto shown = fp32->predictImage(a, interventions);
        QVERIFY(shown.measured.empty() && !shown.labels.defined());
        fp32->measure(shown);
        const auto whole = fp32->predict(a, interventions);
        QVERIFY(torch::equal(shown.image, whole.image) && torch::equal(shown.labels, whole.labels));
        QCOMPARE(shown.measured.at("heart_area"), whole.measured.at("heart_area"));
        // Images in [-1, 1]: one grey level of 255 is 2/255.
        differences.push_back(
            (bf16->predictImage(b, interventions).image - whole.image).abs().flatten() * 127.5);
      }
    }
    const auto all = std::get<0>(torch::cat(differences).sort());
    const double mean = all.mean().item<double>();
    const double p99 = all[int64_t(double(all.numel()) * 0.99)].item<double>();
    qInfo("bf16 - fp32: mean %.3f, 99th percentile %.3f, largest %.3f grey levels", mean, p99,
          all[-1].item<double>());
    QVERIFY2(mean > 0.0 && mean < 0.3 && p99 <= 2.0,
             qPrintable(QString("bf16 - fp32: mean %1, 99th percentile %2, largest %3 grey levels")
                            .arg(mean)
                            .arg(p99)
                            .arg(all[-1].item<double>())));
  }

  // A few Seg-CFT steps on four fresh phantom subjects: the areas the segmentor measures on the
  // counterfactuals move toward the SCM's targets (same interventions and noise every step). The
  // bundled HVAE is fine-tuned already, so it is first made to ignore its parents, the failure
  // fine-tuning exists to fix: the decoder's parent weights are zeroed, x* = x.
  void segCftStepsMoveMeasuredAreasTowardTheTargets() {
    ImageMechanism mechanism = loadImageMechanism(dir_);
    {
      torch::NoGradGuard noGrad;
      const int64_t z = mechanism.hvae->config().latentChannels;
      for (auto& p : mechanism.hvae->named_parameters())
        if (p.key().find("projection.weight") != std::string::npos)
          p.value().narrow(1, z, p.value().size(1) - z).zero_();
    }
    CftModels models{loadScalarScm(dir_), mechanism.hvae, mechanism.parents,
                     loadSegmentor(dir_, "segmentor"), loadPredictor(dir_)};
    const int n = 4;
    auto images = torch::zeros({n, 1, mechanism.size, mechanism.size});
    auto attributes = torch::zeros({n, 5});
    const auto& variables = models.scm->graph().variables();
    for (int i = 0; i < n; ++i) {
      const auto fresh = freshSubject(123, uint64_t(i), mechanism.size, models.scm->graph());
      images[i] = fresh.image[0];
      for (size_t v = 0; v < variables.size(); ++v)
        attributes[i][int64_t(v)] = fresh.observed.at(variables[v].name);
    }
    CftConfig config;
    config.guidance = Guidance::Segmentor;
    config.epsilon = 1e4;  // the constraint is tested elsewhere; here only the guidance acts
    config.damping = 0;
    CounterfactualFineTuning tuning(config, models, torch::kCPU);
    mechanism.hvae->train();
    torch::optim::Adam optimiser(mechanism.hvae->parameters(), torch::optim::AdamOptions(5e-4));
    const auto areaError = [](const std::map<std::string, double>& s) {
      return s.at("guide_heart_area") + s.at("guide_right_lung_area") +
             s.at("guide_left_lung_area");
    };
    // Adam's first steps move every weight by about the learning rate whatever the size of its
    // gradient, so rounding differences (another convolution kernel) change the path from step 1
    // on: the error over the last four steps is averaged rather than read at the last one.
    double first = 0, late = 0;
    const int steps = 8, lateSteps = 4;
    for (int i = 0; i <= steps; ++i) {
      at::Generator g = makeGenerator(21);
      const StepResult r = tuning.step(images, attributes, g);
      if (i == 0) first = areaError(r.scalars);
      if (i > steps - lateSteps) late += areaError(r.scalars) / lateSteps;
      if (i == steps) break;
      optimiser.zero_grad();
      r.loss.backward();
      optimiser.step();
    }
    QVERIFY2(first > 0.5, qPrintable(QString("area error %1 before the steps").arg(first)));
    // Without the guidance's gradient the error would stay where it starts (the same
    // interventions and noise every step); measured 0.30 and 0.66 of it with two convolution
    // kernels of the segmentor's first layer that differ in rounding only.
    QVERIFY2(late < 0.85 * first,
             qPrintable(QString("area error %1 -> %2 (mean of the last %3 steps)")
                            .arg(first)
                            .arg(late)
                            .arg(lateSteps)));
  }

  // The bundled model's counterfactuals carry an area intervention: on fresh subjects the
  // segmentor finds the left lung at least half-way from its observed area to the target.
  void bundledModelCarriesAreaInterventions() {
    auto engine = CounterfactualEngine::load(dir_, EngineOptions{});
    double remaining = 0, wanted = 0;
    for (int i = 0; i < 3; ++i) {
      const auto [image, observed] =
          freshSubject(55, uint64_t(i), engine->imageSize(), engine->graph());
      const auto result =
          engine->predict(engine->abduct(image, observed),
                          {parseIntervention("left_lung_area=-20%", engine->graph())});
      const double target = result.scalars.counterfactual.at("left_lung_area");
      remaining += std::abs(result.measured.at("left_lung_area") - target);
      wanted += std::abs(observed.at("left_lung_area") - target);
    }
    QVERIFY2(remaining < 0.5 * wanted,
             qPrintable(QString("%1 pp of %2 pp left to go").arg(remaining).arg(wanted)));
  }

  void predictorsAndScmLoad() {
    Predictor predictor = loadPredictor(dir_);
    QCOMPARE(predictor->config().targets.size(), size_t(5));
    ScalarScm scm = loadScalarScm(dir_);
    QCOMPARE(scm->graph().variables().size(), size_t(5));
    QVERIFY(std::abs(scm->statistics()[1].mean - 52.0) < 1.0);  // age, from 16000 subjects
  }
};

QTEST_APPLESS_MAIN(TestDefaultModel)
#include "test_default_model.moc"
