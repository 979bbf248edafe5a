#pragma once

#include <QDialog>
#include <memory>
#include <vector>

#include "pacs_node.h"
#include "pacs_query.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace cfx::ui {

class BackgroundTask;

struct PacsDialogOptions {
  QString nodesFile;  // where nodes are kept (shared with `cfx pacs`)
  QString cacheDir;   // where retrieved studies go
  bool dialogs = true;
};

// File > Open from PACS: a node (saved ones in a list, every field editable, Echo to test it),
// the search fields, a table of the studies found, and Open, which retrieves the study's chest
// image with a progress bar and Cancel. All network work runs on a background thread.
class PacsDialog : public QDialog {
  Q_OBJECT
 public:
  explicit PacsDialog(PacsDialogOptions options, QWidget* parent = nullptr);
  ~PacsDialog() override;

  pacs::PacsNode currentNode() const;  // from the fields; a ValidationError when unusable
  void setNode(const pacs::PacsNode& node);
  void search();
  void echo();
  void saveNode();
  void openSelected();
  void cancel();
  QString statusText() const;
  int resultCount() const;
  bool busy() const;

 Q_SIGNALS:
  // A retrieved image ready to open, and what to say about it.
  void studyRetrieved(const QString& path, const QString& description);
  void searchFinished(int studies);
  void echoFinished(bool ok);
  void failed(const QString& message);

 private:
  void buildForm();
  void loadNodes();
  void showNode(int index);
  pacs::StudyQuery query() const;
  void showError(const QString& message);
  void setBusy(bool busy, const QString& what);
  void run(std::function<void(WorkMonitor&)> work, std::function<void()> done);

  PacsDialogOptions options_;
  std::vector<pacs::PacsNode> nodes_;
  std::vector<pacs::StudyMatch> studies_;
  std::unique_ptr<BackgroundTask> task_;
  bool busy_ = false;

  QComboBox *nodeList_ = nullptr, *retrieve_ = nullptr, *modality_ = nullptr;
  QLineEdit *name_ = nullptr, *aeTitle_ = nullptr, *host_ = nullptr, *callingAeTitle_ = nullptr;
  QSpinBox *port_ = nullptr, *receivePort_ = nullptr, *timeout_ = nullptr;
  QLineEdit *patientName_ = nullptr, *patientId_ = nullptr, *accession_ = nullptr,
            *dateFrom_ = nullptr, *dateTo_ = nullptr;
  QTableWidget* results_ = nullptr;
  QPushButton *searchButton_ = nullptr, *openButton_ = nullptr, *cancelButton_ = nullptr,
              *echoButton_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QLabel* status_ = nullptr;
};

}  // namespace cfx::ui
