#include "main_window.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QScrollArea>
#include <QSettings>
#include <QSlider>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

#include "background_task.h"
#include "dicom_io.h"
#include "difference_map.h"
#include "image_conversion.h"
#include "image_view.h"
#include "pacs_client.h"
#include "pacs_dialog.h"
#include "variable_panel.h"

namespace cfx::ui {

namespace {

constexpr int kRecentFiles = 8;
constexpr int kUncertaintyParticles = 4;
const char* const kNotice = "Synthetic counterfactual images for research: not for diagnosis.";

bool isStudyFile(const QFileInfo& file) {
  const QString suffix = file.suffix().toLower();
  return suffix == "dcm" || suffix == "png" || suffix == "dicom" || suffix.isEmpty();
}

// A titled column holding one view.
QWidget* titled(const QString& title, QWidget* view, QWidget* extra = nullptr) {
  auto* box = new QWidget();
  auto* layout = new QVBoxLayout(box);
  layout->setContentsMargins(2, 2, 2, 2);
  auto* label = new QLabel("<b>" + title + "</b>");
  label->setAlignment(Qt::AlignCenter);
  layout->addWidget(label);
  if (extra) {
    auto* row = new QHBoxLayout();
    row->addWidget(view, 1);
    row->addWidget(extra);
    layout->addLayout(row, 1);
  } else {
    layout->addWidget(view, 1);
  }
  return box;
}

}  // namespace

MainWindow::MainWindow(ExplorerOptions options, QWidget* parent)
    : QMainWindow(parent), options_(std::move(options)) {
  setWindowTitle("cfx explorer — counterfactual chest radiographs");
  setAcceptDrops(true);
  resize(1500, 860);
  worker_ = new EngineWorker(options_.engine, options_.threads);
  worker_->moveToThread(&thread_);
  connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
  connect(this, &MainWindow::requestModel, worker_, &EngineWorker::loadModel);
  connect(this, &MainWindow::requestStudy, worker_, &EngineWorker::openStudy);
  connect(this, &MainWindow::requestPrediction, worker_, &EngineWorker::predict);
  connect(this, &MainWindow::requestExport, worker_, &EngineWorker::exportTo);
  connect(this, &MainWindow::requestParticles, worker_, &EngineWorker::setParticles);
  connect(worker_, &EngineWorker::modelLoaded, this, &MainWindow::onModelLoaded);
  connect(worker_, &EngineWorker::studyOpened, this, &MainWindow::onStudyOpened);
  connect(worker_, &EngineWorker::predicted, this, &MainWindow::onPredicted);
  connect(worker_, &EngineWorker::measured, this, &MainWindow::onMeasured);
  connect(worker_, &EngineWorker::failed, this, &MainWindow::onFailed);
  connect(worker_, &EngineWorker::exported, this, [this](const QStringList& files) {
    if (pendingSend_ && sendFolder_ && !files.isEmpty() &&
        QFileInfo(files.first()).absolutePath() == QDir(sendFolder_->path()).absolutePath()) {
      storeExported(files);
      return;
    }
    statusBar()->showMessage(QString("exported %1 files to %2")
                                 .arg(files.size())
                                 .arg(QFileInfo(files.value(0)).absolutePath()),
                             8000);
    Q_EMIT exportFinished(files);
  });
  thread_.start();

  buildViews();
  buildMenus();
  if (!options_.modelDir.isEmpty()) loadModel(options_.modelDir);
}

MainWindow::~MainWindow() {
  sendTask_.reset();  // waits for a store in flight
  thread_.quit();
  thread_.wait();
}

void MainWindow::buildViews() {
  auto* central = new QWidget(this);
  auto* layout = new QVBoxLayout(central);
  auto* notice = new QLabel(kNotice, central);
  notice->setObjectName("notice");
  notice->setStyleSheet("background:#fff3cd; color:#664d03; padding:4px; font-weight:bold");
  notice->setAlignment(Qt::AlignCenter);
  layout->addWidget(notice);

  original_ = new ImageView("view:original");
  counterfactual_ = new ImageView("view:counterfactual");
  difference_ = new ImageView("view:difference");
  uncertainty_ = new ImageView("view:uncertainty");
  colourBar_ = new QLabel();
  colourBar_->setObjectName("colourBar");
  auto* splitter = new QSplitter(Qt::Horizontal, central);
  splitter->addWidget(titled("Original", original_));
  splitter->addWidget(titled("Counterfactual", counterfactual_));
  splitter->addWidget(titled("Difference (counterfactual − original)", difference_, colourBar_));
  auto* uncertaintyBox = titled("Uncertainty (per-pixel variance)", uncertainty_);
  splitter->addWidget(uncertaintyBox);
  uncertaintyBox->setVisible(false);
  layout->addWidget(splitter, 1);
  ImageView::link({original_, counterfactual_, difference_, uncertainty_});
  setCentralWidget(central);

  panel_ = new VariablePanel();
  auto* scroll = new QScrollArea();
  scroll->setWidget(panel_);
  scroll->setWidgetResizable(true);
  auto* panelDock = new QDockWidget("Interventions", this);
  panelDock->setObjectName("dock:interventions");
  panelDock->setWidget(scroll);
  panelDock->setMinimumWidth(360);
  addDockWidget(Qt::RightDockWidgetArea, panelDock);
  connect(panel_, &VariablePanel::interventionsChanged, this, &MainWindow::schedulePrediction);

  studies_ = new QListWidget();
  studies_->setObjectName("studies");
  auto* studyDock = new QDockWidget("Studies", this);
  studyDock->setObjectName("dock:studies");
  studyDock->setWidget(studies_);
  addDockWidget(Qt::LeftDockWidgetArea, studyDock);
  studyDock->setVisible(false);
  connect(studies_, &QListWidget::currentItemChanged, this, [this](QListWidgetItem* item) {
    if (item) Q_EMIT requestStudy(item->data(Qt::UserRole).toString());
  });

  auto* tools = addToolBar("View");
  tools->setObjectName("toolbar:view");
  overlays_ = new QCheckBox("Overlays");
  overlays_->setObjectName("overlays");
  overlays_->setChecked(true);
  overlays_->setToolTip("Segmentor contours: right lung cyan, left lung yellow, heart red (O)");
  opacity_ = new QSlider(Qt::Horizontal);
  opacity_->setObjectName("opacity");
  opacity_->setRange(0, 100);
  opacity_->setValue(60);
  opacity_->setMaximumWidth(110);
  window_ = new QSlider(Qt::Horizontal);
  window_->setObjectName("window");
  window_->setRange(5, 100);
  window_->setValue(100);
  window_->setMaximumWidth(110);
  level_ = new QSlider(Qt::Horizontal);
  level_->setObjectName("level");
  level_->setRange(0, 100);
  level_->setValue(50);
  level_->setMaximumWidth(110);
  uncertaintyToggle_ = new QCheckBox("Uncertainty");
  uncertaintyToggle_->setObjectName("uncertainty");
  uncertaintyToggle_->setToolTip(QString("Average %1 abductions and show their per-pixel variance")
                                     .arg(kUncertaintyParticles));
  tools->addWidget(overlays_);
  tools->addWidget(new QLabel(" opacity "));
  tools->addWidget(opacity_);
  tools->addSeparator();
  tools->addWidget(new QLabel(" window "));
  tools->addWidget(window_);
  tools->addWidget(new QLabel(" level "));
  tools->addWidget(level_);
  tools->addSeparator();
  tools->addWidget(uncertaintyToggle_);
  connect(overlays_, &QCheckBox::toggled, this, &MainWindow::updateOverlays);
  connect(opacity_, &QSlider::valueChanged, this, &MainWindow::updateOverlays);
  connect(window_, &QSlider::valueChanged, this, &MainWindow::redrawRadiographs);
  connect(level_, &QSlider::valueChanged, this, &MainWindow::redrawRadiographs);
  connect(uncertaintyToggle_, &QCheckBox::toggled, this, [this, uncertaintyBox](bool on) {
    uncertaintyBox->setVisible(on);
    Q_EMIT requestParticles(on ? kUncertaintyParticles : 1);
  });

  modelLabel_ = new QLabel("no model");
  deviceLabel_ = new QLabel();
  deviceLabel_->setObjectName("device");
  timeLabel_ = new QLabel();
  timeLabel_->setObjectName("predictionTime");
  busy_ = new QProgressBar();
  busy_->setObjectName("busy");
  busy_->setRange(0, 0);
  busy_->setMaximumWidth(90);
  busy_->setVisible(false);
  auto* statusNotice = new QLabel("synthetic · not for diagnosis");
  statusNotice->setStyleSheet("color:#a00");
  statusBar()->addPermanentWidget(busy_);
  // Stays up while the study is open: values the file did not give were estimated by the model.
  estimatedLabel_ = new QLabel();
  estimatedLabel_->setObjectName("estimated");
  estimatedLabel_->setStyleSheet("color: #b36b00;");
  statusBar()->addPermanentWidget(estimatedLabel_);
  statusBar()->addPermanentWidget(modelLabel_);
  statusBar()->addPermanentWidget(deviceLabel_);
  statusBar()->addPermanentWidget(timeLabel_);
  statusBar()->addPermanentWidget(statusNotice);
  connect(worker_, &EngineWorker::busy, busy_, &QWidget::setVisible);
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu("&File");
  file->addAction("&Open radiograph…", QKeySequence::Open, this, [this] {
    const QString path = QFileDialog::getOpenFileName(
        this, "Open a radiograph", QString(), "Radiographs (*.dcm *.dicom *.png);;All files (*)");
    if (!path.isEmpty()) openPath(path);
  });
  file->addAction("Open &folder of studies…", QKeySequence("Ctrl+Shift+O"), this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, "Open a folder of studies");
    if (!dir.isEmpty()) openPath(dir);
  });
  file->addAction("Open from &PACS…", QKeySequence("Ctrl+Shift+P"), this, [this] {
    pacsDialog()->show();
    pacsDialog()->raise();
  });
  recentMenu_ = file->addMenu("&Recent");
  rebuildRecentMenu();
  file->addAction("Load &model…", QKeySequence("Ctrl+M"), this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, "Load a model folder");
    if (!dir.isEmpty()) loadModel(dir);
  });
  file->addSeparator();
  file->addAction("&Export counterfactual…", QKeySequence("Ctrl+E"), this,
                  &MainWindow::chooseExportFolder);
  file->addAction("&Send counterfactual to PACS…", QKeySequence("Ctrl+Shift+S"), this,
                  &MainWindow::chooseNodeAndSend);
  file->addSeparator();
  file->addAction("&Quit", QKeySequence::Quit, this, &QWidget::close);

  QMenu* edit = menuBar()->addMenu("&Intervene");
  edit->addAction("&Reset all", QKeySequence("Ctrl+R"), panel_, &VariablePanel::resetAll);

  QMenu* view = menuBar()->addMenu("&View");
  view->addAction("Toggle &overlays", QKeySequence("O"), overlays_, &QCheckBox::toggle);
  view->addAction("&Fit images", QKeySequence("F"), this, [this] {
    for (ImageView* v : {original_, counterfactual_, difference_, uncertainty_}) v->fitImage();
  });
  view->addAction("Reset window/level", QKeySequence("W"), this, [this] {
    window_->setValue(100);
    level_->setValue(50);
  });
  view->addAction("Show &uncertainty", QKeySequence("U"), uncertaintyToggle_, &QCheckBox::toggle);

  QMenu* help = menuBar()->addMenu("&Help");
  help->addAction("&Keyboard shortcuts", QKeySequence::HelpContents, this, [this] {
    QMessageBox::information(
        this, "Keyboard shortcuts",
        "Ctrl+O open a radiograph\nCtrl+Shift+O open a folder of studies\nCtrl+M load a model\n"
        "Ctrl+Shift+P open from a PACS\nCtrl+E export\nCtrl+Shift+S send to a PACS\nCtrl+R reset "
        "every intervention\nO overlays on/off\nF fit the images\n"
        "W reset window/level\nU uncertainty view\nWheel: zoom, drag: pan (all views follow)");
  });
  help->addAction("&About", this, [this] {
    QMessageBox::about(this, "About cfx explorer",
                       QString("Counterfactual explorer for chest radiographs (Seg-CFT deep "
                               "structural causal model).\n\n") +
                           kNotice);
  });
}

void MainWindow::loadModel(const QString& dir) {
  options_.modelDir = dir;
  modelLabel_->setText("loading " + QFileInfo(dir).fileName() + "…");
  Q_EMIT requestModel(dir);
}

void MainWindow::openPath(const QString& path) {
  const QFileInfo info(path);
  if (info.isDir()) {
    studies_->clear();
    QDir dir(path);
    for (const QFileInfo& f : dir.entryInfoList(QDir::Files, QDir::Name))
      if (isStudyFile(f) && f.fileName() != "manifest.csv") {
        auto* item = new QListWidgetItem(f.fileName(), studies_);
        item->setData(Qt::UserRole, f.absoluteFilePath());
      }
    studies_->parentWidget()->setVisible(true);
    if (auto* dock = findChild<QDockWidget*>("dock:studies")) dock->setVisible(true);
    if (studies_->count() > 0) studies_->setCurrentRow(0);
    rememberRecent(path);
    return;
  }
  rememberRecent(path);
  Q_EMIT requestStudy(path);
}

void MainWindow::exportTo(const QString& dir) {
  Q_EMIT requestExport(dir);
}

void MainWindow::chooseExportFolder() {
  if (!view_) {
    onFailed("Nothing to export", "Open a radiograph and compute a counterfactual first.");
    return;
  }
  const QString dir = QFileDialog::getExistingDirectory(this, "Export into folder");
  if (!dir.isEmpty()) exportTo(dir);
}

QString MainWindow::pacsNodesFile() const {
  return options_.pacsNodesFile.isEmpty() ? QString::fromStdString(pacs::defaultNodesPath())
                                          : options_.pacsNodesFile;
}

PacsDialog* MainWindow::pacsDialog() {
  if (!pacsDialog_) {
    PacsDialogOptions options;
    options.nodesFile = pacsNodesFile();
    options.cacheDir =
        options_.pacsCacheDir.isEmpty()
            ? QStandardPaths::writableLocation(QStandardPaths::CacheLocation) + "/pacs"
            : options_.pacsCacheDir;
    options.dialogs = options_.dialogs;
    pacsDialog_ = new PacsDialog(options, this);
    connect(pacsDialog_, &PacsDialog::studyRetrieved, this,
            [this](const QString& path, const QString& description) {
              statusBar()->showMessage("retrieved " + description, 8000);
              openPath(path);
              pacsDialog_->hide();
            });
  }
  return pacsDialog_;
}

void MainWindow::chooseNodeAndSend() {
  const QString nodesFile = pacsNodesFile();
  std::vector<pacs::PacsNode> nodes;
  try {
    nodes = pacs::loadNodesIfPresent(nodesFile.toStdString());
  } catch (const std::exception& e) {
    onFailed("Cannot send to PACS", e.what());
    return;
  }
  if (nodes.empty()) {
    onFailed("Cannot send to PACS",
             "No PACS node is saved yet: add one in File > Open from PACS (Save node).");
    return;
  }
  QStringList names;
  int current = 0;
  const QString last = QSettings().value("pacs/lastNode").toString();
  for (size_t i = 0; i < nodes.size(); ++i) {
    names << QString::fromStdString(nodes[i].name + "  (" + pacs::describe(nodes[i]) + ")");
    if (QString::fromStdString(nodes[i].name) == last) current = int(i);
  }
  bool ok = false;
  const QString chosen = QInputDialog::getItem(
      this, "Send counterfactual to PACS",
      "The synthetic counterfactual goes to the PACS as a new series of the source study,\n"
      "marked SYNTHETIC - NOT FOR DIAGNOSIS. Node:",
      names, current, false, &ok);
  if (ok) sendToPacs(nodes[size_t(names.indexOf(chosen))]);
}

void MainWindow::sendToPacs(const pacs::PacsNode& node) {
  if (!view_ || !study_) {
    onFailed("Nothing to send", "Open a radiograph and compute a counterfactual first.");
    return;
  }
  if (!io::looksLikeDicom(study_->path.toStdString())) {
    onFailed("Cannot send to PACS",
             "The radiograph was not opened from DICOM, so there is no study to add the "
             "counterfactual to.");
    return;
  }
  if (sendTask_ || pendingSend_) {
    onFailed("Cannot send to PACS", "A send is already in progress.");
    return;
  }
  sendFolder_ = std::make_unique<QTemporaryDir>();
  pendingSend_ = node;
  busy_->setVisible(true);
  statusBar()->showMessage("sending the counterfactual to " +
                           QString::fromStdString(pacs::describe(node)) + " …");
  Q_EMIT requestExport(sendFolder_->path());
}

void MainWindow::storeExported(const QStringList& files) {
  QString dicom;
  for (const QString& file : files)
    if (file.endsWith(".dcm")) dicom = file;
  const pacs::PacsNode node = *pendingSend_;
  auto stored = std::make_shared<pacs::StoreResult>();
  const std::string path = dicom.toStdString();
  sendTask_ = std::make_unique<BackgroundTask>(nullptr, [node, path, stored](WorkMonitor&) {
    if (path.empty()) throw std::runtime_error("the export wrote no counterfactual.dcm");
    *stored = pacs::PacsClient(node).store(path);
  });
  const auto finish = [this] {
    pendingSend_.reset();
    busy_->setVisible(false);
    // The task's thread may still be returning: let it end before it goes.
    QTimer::singleShot(0, this, [this] {
      sendTask_.reset();
      sendFolder_.reset();
    });
  };
  connect(sendTask_.get(), &BackgroundTask::succeeded, this, [this, node, stored, finish] {
    finish();
    statusBar()->showMessage(QString("sent the counterfactual to %1 as a new series (%2 s)")
                                 .arg(QString::fromStdString(pacs::describe(node)))
                                 .arg(stored->seconds, 0, 'f', 2),
                             10000);
    Q_EMIT pacsStored(QString::fromStdString(stored->sopInstanceUid));
  });
  connect(sendTask_.get(), &BackgroundTask::failed, this, [this, finish](const QString& message) {
    finish();
    onFailed("Cannot send to PACS", message);
  });
  sendTask_->start();
}

void MainWindow::onModelLoaded(const ModelInfo& info) {
  const bool sameGraph =
      model_ && model_->graph.variables().size() == info.graph.variables().size();
  model_ = info;
  modelLabel_->setText(
      "model " + QFileInfo(info.dir).fileName() +
      (info.fineTuning.isEmpty() ? " (no CFT)" : " (" + info.fineTuning + "-CFT)"));
  deviceLabel_->setText("device: " + info.device);
  if (!sameGraph) panel_->setGraph(info.graph);
}

void MainWindow::onStudyOpened(const StudyInfo& info) {
  const bool sameStudy = study_ && study_->path == info.path;
  study_ = info;
  view_.reset();
  setWindowTitle("cfx explorer — " + QFileInfo(info.path).fileName());
  panel_->setObservation(info.observed, info.measured, sameStudy);
  estimatedLabel_->setText(info.estimated.isEmpty()
                               ? QString()
                               : info.estimated.join(", ") + " estimated from the image");
  estimatedLabel_->setToolTip(
      info.estimated.isEmpty()
          ? QString()
          : "Not recorded in the file: the model's predictors estimated these from the image. "
            "The counterfactual starts from the estimate.");
  redrawRadiographs();
  updateOverlays();
  // The file's name and size first: the full path is in the window's recent-files menu, and the
  // sources that follow are the part a narrow status bar may cut.
  statusBar()->showMessage(QString("opened %1 (%2 × %3 px): %4")
                               .arg(QFileInfo(info.path).fileName())
                               .arg(info.input.width)
                               .arg(info.input.height)
                               .arg(info.sources.join(", ")),
                           8000);
  schedulePrediction();
}

void MainWindow::schedulePrediction() {
  if (!study_) return;
  // Newest request wins: the worker skips any request that is no longer the latest.
  const quint64 id = ++worker_->latestRequest();
  Q_EMIT requestPrediction(id, panel_->interventions(), panel_->interventionTexts());
}

void MainWindow::onPredicted(const CounterfactualView& view) {
  // Anything newer than what is on screen is shown, so a long drag still updates at the engine's
  // pace; an answer older than the one shown is dropped.
  if (view.id <= shown_) return;
  // The segmentor's reading follows in onMeasured; until then the last one stays up (areas move
  // little between two moves, and blanking them would flicker).
  std::optional<CounterfactualView> previous = std::move(view_);
  view_ = view;
  if (previous) {
    view_->labels = previous->labels;
    view_->measured = previous->measured;
  }
  shown_ = view.id;
  panel_->showResult(view_->scalars, view_->measured);
  timeLabel_->setText(QString("image %1 ms").arg(view.milliseconds, 0, 'f', 1));
  redrawCounterfactual();
  updateOverlays();
}

void MainWindow::onMeasured(const CounterfactualMeasurement& measurement) {
  if (!view_ || measurement.id != shown_) return;
  view_->labels = measurement.labels;
  view_->measured = measurement.measured;
  panel_->showResult(view_->scalars, view_->measured);
  timeLabel_->setText(QString("image %1 ms, areas %2 ms")
                          .arg(view_->milliseconds, 0, 'f', 1)
                          .arg(measurement.milliseconds, 0, 'f', 1));
  updateOverlays();
  Q_EMIT counterfactualShown(measurement.id);
}

void MainWindow::redrawRadiographs() {
  if (!study_) return;
  original_->setImage(
      radiographImage(study_->input, window_->value() / 100.0, level_->value() / 100.0));
  redrawCounterfactual();
}

// Only the views a new counterfactual changes: at a study's full size the original's conversion
// is not free, and a slider move must not pay for it.
void MainWindow::redrawCounterfactual() {
  if (!study_ || !view_) return;
  const double window = window_->value() / 100.0, level = level_->value() / 100.0;
  // The radiographs at the input's own size; the model-size maps stretched over them, so that
  // all four views line up when zoomed together.
  const QSize shownAs(study_->input.width, study_->input.height);
  counterfactual_->setImage(radiographImage(view_->imageAtInputSize, window, level));
  const double range = report::differenceRange(study_->factual, view_->image);
  difference_->setImage(differenceImage(study_->factual, view_->image, range), shownAs);
  colourBar_->setPixmap(
      QPixmap::fromImage(colourBarImage(std::max(120, difference_->height() - 10), range)));
  if (view_->particles > 1 && view_->variance.defined())
    uncertainty_->setImage(varianceImage(view_->variance), shownAs);
}

void MainWindow::updateOverlays() {
  const bool on = overlays_->isChecked();
  const double opacity = opacity_->value() / 100.0;
  if (study_) original_->setOverlay(overlayImage(study_->labels));
  // The first counterfactual of a study has no label map until its measurement arrives.
  if (view_ && view_->labels.defined()) counterfactual_->setOverlay(overlayImage(view_->labels));
  for (ImageView* v : {original_, counterfactual_}) {
    v->setOverlayVisible(on);
    v->setOverlayOpacity(opacity);
  }
}

void MainWindow::onFailed(const QString& what, const QString& message) {
  if (what == "Cannot export" && pendingSend_) {  // the export for a send failed: no send
    pendingSend_.reset();
    sendFolder_.reset();
  }
  lastError_ = what + ": " + message;
  statusBar()->showMessage(lastError_, 10000);
  if (what.startsWith("Cannot load the model")) modelLabel_->setText("no model");
  Q_EMIT errorShown(lastError_);
  if (options_.dialogs) QMessageBox::warning(this, what, message);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  const auto urls = event->mimeData()->urls();
  if (!urls.isEmpty() && urls.first().isLocalFile()) openPath(urls.first().toLocalFile());
}

void MainWindow::rememberRecent(const QString& path) {
  QSettings settings;
  QStringList recent = settings.value("recent").toStringList();
  recent.removeAll(path);
  recent.prepend(path);
  while (recent.size() > kRecentFiles) recent.removeLast();
  settings.setValue("recent", recent);
  rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
  recentMenu_->clear();
  const QStringList recent = QSettings().value("recent").toStringList();
  for (const QString& path : recent)
    recentMenu_->addAction(QFileInfo(path).fileName() + "  —  " + path, this,
                           [this, path] { openPath(path); });
  recentMenu_->setEnabled(!recent.isEmpty());
}

}  // namespace cfx::ui
