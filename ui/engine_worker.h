#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include "counterfactual_engine.h"
#include "study.h"
#include "thread_budget.h"

namespace cfx::ui {

// What the UI shows after a model is loaded: a copy, so the UI never touches the engine.
struct ModelInfo {
  QString dir;
  QString device;
  CausalGraph graph;
  int64_t imageSize = 0;
  QString fineTuning;  // e.g. "seg" or "" for a model without counterfactual fine-tuning
};

// An opened study, as the UI shows it.
struct StudyInfo {
  QString path;
  GrayImage input;  // the radiograph at its own size, as read
  GrayImage factual;
  torch::Tensor labels;  // [S, S] uint8
  std::map<std::string, double> observed, measured;
  QStringList sources;
  QStringList estimated;  // variables the model estimated because the file does not record them
};

// One answered request: first the image (labels and measured still empty), then, in a second
// signal, what the segmentor measures on it.
struct CounterfactualView {
  quint64 id = 0;
  GrayImage image;
  GrayImage imageAtInputSize;  // the edit carried onto the input (io::transferEdit)
  torch::Tensor labels;        // segmentor labels on the counterfactual
  torch::Tensor variance;      // [S, S]
  ScalarCounterfactual scalars;
  std::map<std::string, double> measured;
  double milliseconds = 0.0;  // until the image was ready
  int particles = 1;
};

// The segmentor's reading of the counterfactual image of request `id`.
struct CounterfactualMeasurement {
  quint64 id = 0;
  torch::Tensor labels;  // [S, S] uint8
  std::map<std::string, double> measured;
  double milliseconds = 0.0;  // of the segmentor
};

// Owns the engine and runs every model call on its own thread (moved there by the window).
// Predictions are coalesced: a request is computed only if it is still the latest one when the
// worker gets to it, so a fast slider drag costs one prediction, not one per pixel moved.
class EngineWorker : public QObject {
  Q_OBJECT
 public:
  // `threads` as --threads gives it: 0 adapts to the load before every model call.
  EngineWorker(EngineOptions options, int threads);
  // The id of the newest request; the UI bumps it before sending a request.
  std::atomic<quint64>& latestRequest() { return latest_; }

 public Q_SLOTS:
  void loadModel(const QString& dir);
  void openStudy(const QString& path);
  void setParticles(int particles);
  void predict(quint64 id, const std::vector<cfx::Intervention>& interventions,
               const QStringList& texts);
  void exportTo(const QString& dir);

 Q_SIGNALS:
  void modelLoaded(const cfx::ui::ModelInfo& info);
  void studyOpened(const cfx::ui::StudyInfo& info);
  void predicted(const cfx::ui::CounterfactualView& view);
  void measured(const cfx::ui::CounterfactualMeasurement& measurement);
  void exported(const QStringList& files);
  void failed(const QString& what, const QString& message);
  void busy(bool running);

 private:
  void abductCurrent();

  EngineOptions options_;
  io::ThreadBudget threads_;
  QString modelDir_;
  std::shared_ptr<CounterfactualEngine> engine_;
  std::optional<session::Study> study_;
  std::optional<AbductedSubject> subject_;
  std::optional<CounterfactualResult> last_;
  QStringList lastTexts_;
  std::atomic<quint64> latest_{0};
};

}  // namespace cfx::ui

Q_DECLARE_METATYPE(cfx::ui::ModelInfo)
Q_DECLARE_METATYPE(cfx::ui::StudyInfo)
Q_DECLARE_METATYPE(cfx::ui::CounterfactualView)
Q_DECLARE_METATYPE(cfx::ui::CounterfactualMeasurement)
Q_DECLARE_METATYPE(std::vector<cfx::Intervention>)
