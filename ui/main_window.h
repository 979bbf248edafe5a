#pragma once

#include <QElapsedTimer>
#include <QMainWindow>
#include <QThread>
#include <optional>

#include "engine_worker.h"
#include "pacs_node.h"

class QCheckBox;
class QLabel;
class QListWidget;
class QMenu;
class QProgressBar;
class QSlider;
class QTemporaryDir;

namespace cfx::ui {

class BackgroundTask;
class ImageView;
class PacsDialog;
class VariablePanel;

struct ExplorerOptions {
  QString modelDir;
  EngineOptions engine;
  int threads = 0;        // engine threads; 0 adapts to the load before every model call
  bool dialogs = true;    // false in tests: errors are recorded instead of shown modally
  QString pacsNodesFile;  // PACS nodes, shared with `cfx pacs` (see pacs::defaultNodesPath)
  QString pacsCacheDir;   // where studies retrieved from a PACS are kept
};

// The explorer: original | counterfactual | difference side by side (plus the uncertainty when
// asked for), overlays, window/level, the variable panel, a study list, export. Every model call
// goes to the worker thread; the window only draws.
class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(ExplorerOptions options, QWidget* parent = nullptr);
  ~MainWindow() override;

  void openPath(const QString& path);  // a file, or a folder of studies
  void loadModel(const QString& dir);
  void exportTo(const QString& dir);
  VariablePanel* panel() const { return panel_; }
  QString lastError() const { return lastError_; }
  quint64 shownRequest() const { return shown_; }
  quint64 latestRequest() const { return worker_->latestRequest().load(); }
  bool modelReady() const { return model_.has_value(); }
  bool studyReady() const { return study_.has_value(); }
  // File > Open from PACS (created on first use, kept for the session).
  PacsDialog* pacsDialog();
  // Stores the current counterfactual's DICOM on `node` as a new series of the source study.
  void sendToPacs(const pacs::PacsNode& node);

 Q_SIGNALS:
  void requestModel(const QString& dir);
  void requestStudy(const QString& path);
  void requestPrediction(quint64 id, const std::vector<cfx::Intervention>& interventions,
                         const QStringList& texts);
  void requestExport(const QString& dir);
  void requestParticles(int particles);
  void counterfactualShown(quint64 id);
  void exportFinished(const QStringList& files);
  void errorShown(const QString& message);
  void pacsStored(const QString& sopInstanceUid);

 protected:
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void buildMenus();
  void buildViews();
  void onModelLoaded(const ModelInfo& info);
  void onStudyOpened(const StudyInfo& info);
  void onPredicted(const CounterfactualView& view);
  void onMeasured(const CounterfactualMeasurement& measurement);
  void onFailed(const QString& what, const QString& message);
  void schedulePrediction();
  void redrawRadiographs();
  void redrawCounterfactual();
  void updateOverlays();
  void rememberRecent(const QString& path);
  void rebuildRecentMenu();
  void chooseExportFolder();
  QString pacsNodesFile() const;  // the option, else the file `cfx pacs` uses
  void chooseNodeAndSend();
  void storeExported(const QStringList& files);

  ExplorerOptions options_;
  QThread thread_;
  EngineWorker* worker_ = nullptr;
  std::optional<ModelInfo> model_;
  std::optional<StudyInfo> study_;
  std::optional<CounterfactualView> view_;
  quint64 shown_ = 0;
  QString lastError_;

  ImageView *original_ = nullptr, *counterfactual_ = nullptr, *difference_ = nullptr,
            *uncertainty_ = nullptr;
  QLabel* colourBar_ = nullptr;
  VariablePanel* panel_ = nullptr;
  QListWidget* studies_ = nullptr;
  QCheckBox *overlays_ = nullptr, *uncertaintyToggle_ = nullptr;
  QSlider *opacity_ = nullptr, *window_ = nullptr, *level_ = nullptr;
  QLabel *deviceLabel_ = nullptr, *timeLabel_ = nullptr, *modelLabel_ = nullptr;
  QLabel* estimatedLabel_ = nullptr;
  QProgressBar* busy_ = nullptr;
  QMenu* recentMenu_ = nullptr;
  PacsDialog* pacsDialog_ = nullptr;
  std::optional<pacs::PacsNode> pendingSend_;
  std::unique_ptr<QTemporaryDir> sendFolder_;
  std::unique_ptr<BackgroundTask> sendTask_;
};

}  // namespace cfx::ui
