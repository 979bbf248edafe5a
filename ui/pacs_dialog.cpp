#include "pacs_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include "background_task.h"
#include "pacs_client.h"
#include "pacs_study.h"
#include "validation_error.h"

namespace cfx::ui {
namespace {

// The modality filter's choices: the label shown and the codes sent.
const std::vector<std::pair<QString, std::vector<std::string>>>& modalityChoices() {
  static const std::vector<std::pair<QString, std::vector<std::string>>> choices = {
      {"CR or DX (radiographs)", {"CR", "DX"}},
      {"any modality", {}},
      {"CR", {"CR"}},
      {"DX", {"DX"}},
      {"OT (secondary capture)", {"OT"}}};
  return choices;
}

QString date(const std::string& yyyymmdd) {
  if (yyyymmdd.size() != 8) return QString::fromStdString(yyyymmdd);
  return QString::fromStdString(yyyymmdd.substr(0, 4) + "-" + yyyymmdd.substr(4, 2) + "-" +
                                yyyymmdd.substr(6, 2));
}

QString count(int n) {
  return n < 0 ? QString("?") : QString::number(n);
}

}  // namespace

PacsDialog::PacsDialog(PacsDialogOptions options, QWidget* parent)
    : QDialog(parent), options_(std::move(options)) {
  setWindowTitle("Open from PACS");
  setObjectName("pacsDialog");
  resize(980, 620);
  buildForm();
  loadNodes();
}

PacsDialog::~PacsDialog() = default;

void PacsDialog::buildForm() {
  auto* layout = new QVBoxLayout(this);

  auto* nodeBox = new QGroupBox("PACS node");
  auto* nodeLayout = new QHBoxLayout(nodeBox);
  auto* left = new QFormLayout();
  auto* right = new QFormLayout();
  nodeList_ = new QComboBox();
  nodeList_->setObjectName("pacs:nodes");
  name_ = new QLineEdit();
  name_->setObjectName("pacs:name");
  aeTitle_ = new QLineEdit();
  aeTitle_->setObjectName("pacs:aeTitle");
  aeTitle_->setMaxLength(16);
  host_ = new QLineEdit();
  host_->setObjectName("pacs:host");
  port_ = new QSpinBox();
  port_->setObjectName("pacs:port");
  port_->setRange(1, 65535);
  port_->setValue(104);
  callingAeTitle_ = new QLineEdit("CFX");
  callingAeTitle_->setObjectName("pacs:callingAeTitle");
  callingAeTitle_->setMaxLength(16);
  retrieve_ = new QComboBox();
  retrieve_->setObjectName("pacs:retrieve");
  retrieve_->addItems({"C-GET", "C-MOVE"});
  receivePort_ = new QSpinBox();
  receivePort_->setObjectName("pacs:receivePort");
  receivePort_->setRange(0, 65535);
  receivePort_->setSpecialValueText("none");
  receivePort_->setToolTip(
      "Our storage SCP's port for C-MOVE: the node must know our AE title "
      "at this computer and port");
  timeout_ = new QSpinBox();
  timeout_->setObjectName("pacs:timeout");
  timeout_->setRange(1, 3600);
  timeout_->setValue(30);
  timeout_->setSuffix(" s");
  left->addRow("Saved nodes", nodeList_);
  left->addRow("Name", name_);
  left->addRow("AE title", aeTitle_);
  left->addRow("Host", host_);
  left->addRow("Port", port_);
  right->addRow("Our AE title", callingAeTitle_);
  right->addRow("Retrieve by", retrieve_);
  right->addRow("Receive port", receivePort_);
  right->addRow("Timeout", timeout_);
  auto* nodeButtons = new QVBoxLayout();
  echoButton_ = new QPushButton("Echo");
  echoButton_->setObjectName("pacs:echo");
  echoButton_->setToolTip("Test the node with C-ECHO");
  auto* saveButton = new QPushButton("Save node");
  saveButton->setObjectName("pacs:save");
  nodeButtons->addWidget(echoButton_);
  nodeButtons->addWidget(saveButton);
  nodeButtons->addStretch();
  nodeLayout->addLayout(left, 1);
  nodeLayout->addLayout(right, 1);
  nodeLayout->addLayout(nodeButtons);
  layout->addWidget(nodeBox);

  auto* queryBox = new QGroupBox("Search");
  auto* queryLayout = new QGridLayout(queryBox);
  patientName_ = new QLineEdit();
  patientName_->setObjectName("pacs:patientName");
  patientName_->setPlaceholderText("DOE^J*  (wildcards * ?)");
  patientId_ = new QLineEdit();
  patientId_->setObjectName("pacs:patientId");
  accession_ = new QLineEdit();
  accession_->setObjectName("pacs:accession");
  dateFrom_ = new QLineEdit();
  dateFrom_->setObjectName("pacs:dateFrom");
  dateFrom_->setPlaceholderText("YYYYMMDD");
  dateFrom_->setInputMask("");
  dateTo_ = new QLineEdit();
  dateTo_->setObjectName("pacs:dateTo");
  dateTo_->setPlaceholderText("YYYYMMDD");
  modality_ = new QComboBox();
  modality_->setObjectName("pacs:modality");
  for (const auto& [label, codes] : modalityChoices()) modality_->addItem(label);
  searchButton_ = new QPushButton("Search");
  searchButton_->setObjectName("pacs:search");
  searchButton_->setDefault(true);
  queryLayout->addWidget(new QLabel("Patient name"), 0, 0);
  queryLayout->addWidget(patientName_, 0, 1);
  queryLayout->addWidget(new QLabel("Patient ID"), 0, 2);
  queryLayout->addWidget(patientId_, 0, 3);
  queryLayout->addWidget(new QLabel("Accession"), 0, 4);
  queryLayout->addWidget(accession_, 0, 5);
  queryLayout->addWidget(new QLabel("Study date from"), 1, 0);
  queryLayout->addWidget(dateFrom_, 1, 1);
  queryLayout->addWidget(new QLabel("to"), 1, 2);
  queryLayout->addWidget(dateTo_, 1, 3);
  queryLayout->addWidget(new QLabel("Modality"), 1, 4);
  queryLayout->addWidget(modality_, 1, 5);
  queryLayout->addWidget(searchButton_, 0, 6, 2, 1);
  layout->addWidget(queryBox);

  results_ = new QTableWidget(0, 7);
  results_->setObjectName("pacs:results");
  results_->setHorizontalHeaderLabels(
      {"Patient", "Patient ID", "Study date", "Modalities", "Description", "Series", "Images"});
  results_->setSelectionBehavior(QAbstractItemView::SelectRows);
  results_->setSelectionMode(QAbstractItemView::SingleSelection);
  results_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  results_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  results_->horizontalHeader()->setSectionResizeMode(4, QHeaderView::Stretch);
  results_->verticalHeader()->setVisible(false);
  layout->addWidget(results_, 1);

  auto* bottom = new QHBoxLayout();
  status_ = new QLabel("Choose a node and search.");
  status_->setObjectName("pacs:status");
  status_->setWordWrap(true);
  progress_ = new QProgressBar();
  progress_->setObjectName("pacs:progress");
  progress_->setMaximumWidth(200);
  progress_->setVisible(false);
  cancelButton_ = new QPushButton("Cancel");
  cancelButton_->setObjectName("pacs:cancel");
  cancelButton_->setEnabled(false);
  openButton_ = new QPushButton("Open");
  openButton_->setObjectName("pacs:open");
  openButton_->setEnabled(false);
  auto* closeButton = new QPushButton("Close");
  bottom->addWidget(status_, 1);
  bottom->addWidget(progress_);
  bottom->addWidget(cancelButton_);
  bottom->addWidget(openButton_);
  bottom->addWidget(closeButton);
  layout->addLayout(bottom);

  connect(nodeList_, &QComboBox::currentIndexChanged, this, &PacsDialog::showNode);
  connect(echoButton_, &QPushButton::clicked, this, &PacsDialog::echo);
  connect(saveButton, &QPushButton::clicked, this, &PacsDialog::saveNode);
  connect(searchButton_, &QPushButton::clicked, this, &PacsDialog::search);
  connect(openButton_, &QPushButton::clicked, this, &PacsDialog::openSelected);
  connect(cancelButton_, &QPushButton::clicked, this, &PacsDialog::cancel);
  connect(closeButton, &QPushButton::clicked, this, &QDialog::reject);
  connect(results_, &QTableWidget::itemSelectionChanged, this,
          [this] { openButton_->setEnabled(!busy() && !results_->selectedItems().isEmpty()); });
  connect(results_, &QTableWidget::cellDoubleClicked, this, [this] { openSelected(); });
}

void PacsDialog::loadNodes() {
  nodes_.clear();
  const std::string path = options_.nodesFile.toStdString();
  try {
    nodes_ = pacs::loadNodesIfPresent(path);
  } catch (const std::exception& e) {
    showError(QString("The node file cannot be used: ") + e.what());
  }
  const QSignalBlocker blocker(nodeList_);
  nodeList_->clear();
  for (const auto& node : nodes_)
    nodeList_->addItem(QString::fromStdString(node.name + "  (" + pacs::describe(node) + ")"));
  nodeList_->setEnabled(!nodes_.empty());
  const QString last = QSettings().value("pacs/lastNode").toString();
  int index = 0;
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (QString::fromStdString(nodes_[i].name) == last) index = int(i);
  if (!nodes_.empty()) {
    nodeList_->setCurrentIndex(index);
    showNode(index);
  }
}

void PacsDialog::showNode(int index) {
  if (index >= 0 && index < int(nodes_.size())) setNode(nodes_[size_t(index)]);
}

void PacsDialog::setNode(const pacs::PacsNode& node) {
  name_->setText(QString::fromStdString(node.name));
  aeTitle_->setText(QString::fromStdString(node.calledAeTitle));
  host_->setText(QString::fromStdString(node.host));
  port_->setValue(node.port);
  callingAeTitle_->setText(QString::fromStdString(node.callingAeTitle));
  retrieve_->setCurrentIndex(node.retrieve == pacs::RetrieveMethod::Move ? 1 : 0);
  receivePort_->setValue(node.receivePort);
  timeout_->setValue(node.timeoutSeconds);
}

pacs::PacsNode PacsDialog::currentNode() const {
  pacs::PacsNode node;
  // Keeps what the form does not show (TLS) from the saved node of that name.
  for (const auto& saved : nodes_)
    if (QString::fromStdString(saved.name) == name_->text().trimmed()) node = saved;
  node.name = name_->text().trimmed().toStdString();
  node.calledAeTitle = aeTitle_->text().trimmed().toStdString();
  node.host = host_->text().trimmed().toStdString();
  node.port = port_->value();
  node.callingAeTitle = callingAeTitle_->text().trimmed().toStdString();
  node.retrieve =
      retrieve_->currentIndex() == 1 ? pacs::RetrieveMethod::Move : pacs::RetrieveMethod::Get;
  node.receivePort = receivePort_->value();
  node.timeoutSeconds = timeout_->value();
  if (node.name.empty()) node.name = node.calledAeTitle;
  pacs::validate(node, "the node form");
  return node;
}

pacs::StudyQuery PacsDialog::query() const {
  pacs::StudyQuery query;
  query.patientName = patientName_->text().trimmed().toStdString();
  query.patientId = patientId_->text().trimmed().toStdString();
  query.accessionNumber = accession_->text().trimmed().toStdString();
  query.dateFrom = dateFrom_->text().trimmed().toStdString();
  query.dateTo = dateTo_->text().trimmed().toStdString();
  query.modalities = modalityChoices()[size_t(std::max(0, modality_->currentIndex()))].second;
  pacs::validate(query);
  return query;
}

void PacsDialog::saveNode() {
  try {
    const pacs::PacsNode node = currentNode();
    std::vector<pacs::PacsNode> kept;
    for (const auto& saved : nodes_)
      if (saved.name != node.name) kept.push_back(saved);
    kept.push_back(node);
    pacs::saveNodes(options_.nodesFile.toStdString(), kept);
    QSettings().setValue("pacs/lastNode", QString::fromStdString(node.name));
    loadNodes();
    status_->setText("Saved node " + QString::fromStdString(node.name) + " in " +
                     options_.nodesFile);
  } catch (const std::exception& e) {
    showError(e.what());
  }
}

void PacsDialog::run(std::function<void(WorkMonitor&)> work, std::function<void()> done) {
  task_ = std::make_unique<BackgroundTask>(nullptr, std::move(work));
  connect(task_.get(), &BackgroundTask::progressed, this,
          [this](long doneCount, long total, const QString& detail) {
            progress_->setRange(0, int(std::max(1L, total)));
            progress_->setValue(int(doneCount));
            if (!detail.isEmpty() && doneCount > 0)
              status_->setText(QString("Received %1 of %2 …").arg(doneCount).arg(total));
          });
  connect(task_.get(), &BackgroundTask::succeeded, this, [this, done] {
    setBusy(false, {});
    done();
  });
  connect(task_.get(), &BackgroundTask::failed, this, [this](const QString& message) {
    setBusy(false, {});
    showError(message);
  });
  connect(task_.get(), &BackgroundTask::cancelled, this, [this] {
    setBusy(false, {});
    status_->setText("Cancelled.");
  });
  task_->start();
}

void PacsDialog::echo() {
  try {
    const pacs::PacsNode node = currentNode();
    setBusy(true, "C-ECHO " + QString::fromStdString(pacs::describe(node)) + " …");
    auto milliseconds = std::make_shared<double>(0.0);
    run([node, milliseconds](WorkMonitor&) { *milliseconds = pacs::PacsClient(node).echo(); },
        [this, node, milliseconds] {
          status_->setText(QString("C-ECHO %1: ok in %2 ms")
                               .arg(QString::fromStdString(pacs::describe(node)))
                               .arg(*milliseconds, 0, 'f', 1));
          Q_EMIT echoFinished(true);
        });
  } catch (const std::exception& e) {
    showError(e.what());
  }
}

void PacsDialog::search() {
  try {
    const pacs::PacsNode node = currentNode();
    const pacs::StudyQuery q = query();
    QSettings().setValue("pacs/lastNode", QString::fromStdString(node.name));
    setBusy(true, "Searching " + QString::fromStdString(pacs::describe(node)) + " …");
    auto found = std::make_shared<std::vector<pacs::StudyMatch>>();
    run([node, q, found](WorkMonitor&) { *found = pacs::PacsClient(node).findStudies(q); },
        [this, found] {
          studies_ = *found;
          results_->setRowCount(0);
          for (const auto& study : studies_) {
            const int row = results_->rowCount();
            results_->insertRow(row);
            const QStringList cells = {QString::fromStdString(study.patientName),
                                       QString::fromStdString(study.patientId),
                                       date(study.studyDate),
                                       QString::fromStdString(study.modalities),
                                       QString::fromStdString(study.studyDescription),
                                       count(study.seriesCount),
                                       count(study.instanceCount)};
            for (int column = 0; column < cells.size(); ++column) {
              auto* item = new QTableWidgetItem(cells[column]);
              item->setToolTip("Study Instance UID " +
                               QString::fromStdString(study.studyInstanceUid));
              results_->setItem(row, column, item);
            }
          }
          if (!studies_.empty()) results_->selectRow(0);
          status_->setText(QString("%1 stud%2 found.")
                               .arg(studies_.size())
                               .arg(studies_.size() == 1 ? "y" : "ies"));
          Q_EMIT searchFinished(int(studies_.size()));
        });
  } catch (const std::exception& e) {
    showError(e.what());
  }
}

void PacsDialog::openSelected() {
  const auto selected = results_->selectionModel()->selectedRows();
  if (selected.isEmpty() || busy()) return;
  const pacs::StudyMatch study = studies_.at(size_t(selected.first().row()));
  try {
    const pacs::PacsNode node = currentNode();
    setBusy(true, "Retrieving the study of " + QString::fromStdString(study.patientName) + " …");
    auto retrieved = std::make_shared<session::RetrievedStudy>();
    const std::string cache = options_.cacheDir.toStdString();
    run(
        [node, study, cache, retrieved](WorkMonitor& monitor) {
          pacs::PacsClient client(node);
          *retrieved = session::retrieveChestImage(client, study.studyInstanceUid, cache, monitor);
        },
        [this, node, study, retrieved] {
          const QString description =
              QString("%1 (%2) from %3, series %4 (%5); %6 instance(s) in %7 s")
                  .arg(QString::fromStdString(study.patientName),
                       QString::fromStdString(study.patientId),
                       QString::fromStdString(pacs::describe(node)))
                  .arg(retrieved->series.seriesNumber)
                  .arg(QString::fromStdString(retrieved->series.modality))
                  .arg(retrieved->instancesRetrieved)
                  .arg(retrieved->seconds, 0, 'f', 2);
          status_->setText("Retrieved " + description);
          Q_EMIT studyRetrieved(QString::fromStdString(retrieved->imagePath), description);
        });
  } catch (const std::exception& e) {
    showError(e.what());
  }
}

void PacsDialog::cancel() {
  if (task_) task_->cancel();
  status_->setText("Cancelling …");
}

void PacsDialog::setBusy(bool on, const QString& what) {
  busy_ = on;
  progress_->setVisible(on);
  progress_->setRange(0, 0);
  cancelButton_->setEnabled(on);
  searchButton_->setEnabled(!on);
  echoButton_->setEnabled(!on);
  openButton_->setEnabled(!on && !results_->selectedItems().isEmpty());
  if (on) status_->setText(what);
}

bool PacsDialog::busy() const {
  return busy_;
}
QString PacsDialog::statusText() const {
  return status_->text();
}
int PacsDialog::resultCount() const {
  return results_->rowCount();
}

void PacsDialog::showError(const QString& message) {
  status_->setText("<span style='color:#a00'>" + message.toHtmlEscaped() + "</span>");
  Q_EMIT failed(message);
  if (options_.dialogs) QMessageBox::warning(this, "PACS", message);
}

}  // namespace cfx::ui
