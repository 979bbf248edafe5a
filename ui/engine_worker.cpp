#include "engine_worker.h"

#include "counterfactual_export.h"
#include "device.h"
#include "error_text.h"
#include "tensor_bridge.h"

#include <QThread>

namespace cfx::ui {

namespace {

// Every failure in the worker becomes a message for a dialog, never an escaped exception.
template <typename F>
void guarded(EngineWorker* worker, const QString& what, F&& work) {
  Q_EMIT worker->busy(true);
  try {
    work();
  } catch (const std::exception& e) {
    Q_EMIT worker->failed(what, QString::fromStdString(errorText(e)));
  }
  Q_EMIT worker->busy(false);
}

}  // namespace

EngineWorker::EngineWorker(EngineOptions options, int threads)
    : options_(options), threads_(threads, std::max(1, QThread::idealThreadCount())) {
  qRegisterMetaType<ModelInfo>();
  qRegisterMetaType<StudyInfo>();
  qRegisterMetaType<CounterfactualView>();
  qRegisterMetaType<CounterfactualMeasurement>();
  qRegisterMetaType<std::vector<Intervention>>();
}

void EngineWorker::loadModel(const QString& dir) {
  guarded(this, "Cannot load the model", [&] {
    auto engine = CounterfactualEngine::load(dir.toStdString(), options_);
    engine_ = engine;
    modelDir_ = dir;
    ModelInfo info{dir, QString::fromStdString(describeDevice(options_.device)), engine->graph(),
                   engine->imageSize(), ""};
    if (engine->hvaeConfig().contains("fine_tuning"))
      info.fineTuning =
          QString::fromStdString(engine->hvaeConfig()["fine_tuning"].value("guidance", "?"));
    Q_EMIT modelLoaded(info);
    if (study_) openStudy(QString::fromStdString(study_->path));
  });
}

void EngineWorker::abductCurrent() {
  threads_.apply();
  subject_ = engine_->abduct(study_->tensor, study_->observed);
  last_.reset();
}

void EngineWorker::openStudy(const QString& path) {
  guarded(this, "Cannot open " + path, [&] {
    if (!engine_) throw std::runtime_error("no model is loaded");
    session::Study study = session::openStudy(path.toStdString(), *engine_);
    study_ = std::move(study);
    abductCurrent();
    StudyInfo info{path,
                   study_->radiograph.image,
                   study_->factual,
                   study_->labelsFactual,
                   study_->observed,
                   study_->measuredFactual,
                   {},
                   {}};
    for (const auto& s : study_->sources) info.sources << QString::fromStdString(s);
    for (const auto& s : study_->estimated) info.estimated << QString::fromStdString(s);
    Q_EMIT studyOpened(info);
  });
}

void EngineWorker::setParticles(int particles) {
  if (particles == options_.particles) return;
  options_.particles = particles;
  if (!modelDir_.isEmpty()) loadModel(modelDir_);
}

void EngineWorker::predict(quint64 id, const std::vector<Intervention>& interventions,
                           const QStringList& texts) {
  if (id != latest_.load()) return;  // a newer request is queued: skip this one
  guarded(this, "Cannot compute the counterfactual", [&] {
    if (!engine_ || !subject_) return;
    threads_.apply();
    CounterfactualResult result = engine_->predictImage(*subject_, interventions);
    const GrayImage image = io::fromTensor(result.image);
    CounterfactualView view{id,
                            image,
                            session::counterfactualAtInputSize(*study_, image),
                            result.labels,
                            result.variance,
                            result.scalars,
                            result.measured,
                            result.milliseconds,
                            options_.particles};
    lastTexts_ = texts;
    Q_EMIT predicted(view);
    // The image is on its way to the screen; its areas and overlay follow unless a newer move
    // is already waiting (export measures the last image when it needs to).
    if (id == latest_.load()) {
      engine_->measure(result);
      Q_EMIT measured({id, result.labels, result.measured, result.timings.segmentor});
    }
    last_ = std::move(result);
  });
}

void EngineWorker::exportTo(const QString& dir) {
  guarded(this, "Cannot export", [&] {
    if (!study_ || !last_) throw std::runtime_error("there is no counterfactual to export yet");
    if (!last_->labels.defined()) engine_->measure(*last_);
    std::vector<std::string> texts;
    for (const auto& t : lastTexts_) texts.push_back(t.toStdString());
    const auto files = session::exportCounterfactual(
        *study_, *last_,
        {dir.toStdString(), modelDir_.toStdString(), texts, describeDevice(options_.device),
         options_.particles, options_.latentTemperature});
    QStringList written;
    for (const auto& f : files.written) written << QString::fromStdString(f);
    Q_EMIT exported(written);
  });
}

}  // namespace cfx::ui
