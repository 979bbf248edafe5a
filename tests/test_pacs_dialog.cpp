#include <torch/torch.h>

#include <QComboBox>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>

#include "main_window.h"
#include "orthanc_server.h"
#include "pacs_client.h"
#include "pacs_dialog.h"
#include "variable_panel.h"

using namespace cfx;

// The explorer's PACS dialog and Send to PACS, offscreen, against a real server (Orthanc).
class TestPacsDialog : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::unique_ptr<test::OrthancServer> server_;
  std::string sampleStudy_;

  ui::PacsDialogOptions dialogOptions() const {
    return {dir_.filePath("nodes.json"), dir_.filePath("cache"), false};
  }

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    torch::set_num_threads(1);
    try {
      server_ = std::make_unique<test::OrthancServer>();
    } catch (const std::exception& e) {
      QFAIL(e.what());
    }
    pacs::PacsClient client(server_->node());
    for (const char* name : {"phantom_s0.dcm", "phantom_s1.dcm"})
      client.store(std::string(CFX_SOURCE_DIR "/resources/samples/phantom/") + name);
    pacs::StudyQuery query;
    query.patientId = "s000000";
    sampleStudy_ = client.findStudies(query).at(0).studyInstanceUid;
  }

  void searchesAndRetrieves() {
    ui::PacsDialog dialog(dialogOptions());
    dialog.show();
    dialog.setNode(server_->node());
    dialog.saveNode();
    QVERIFY(QFile::exists(dir_.filePath("nodes.json")));
    QCOMPARE(int(pacs::loadNodes(dir_.filePath("nodes.json").toStdString()).size()), 1);

    QSignalSpy echoed(&dialog, &ui::PacsDialog::echoFinished);
    dialog.echo();
    QTRY_COMPARE_WITH_TIMEOUT(echoed.count(), 1, 15000);
    QVERIFY(dialog.statusText().contains("ok in"));

    QSignalSpy searched(&dialog, &ui::PacsDialog::searchFinished);
    dialog.findChild<QComboBox*>("pacs:modality")->setCurrentIndex(1);  // any modality
    dialog.search();
    QVERIFY(dialog.busy());
    QTRY_COMPARE_WITH_TIMEOUT(searched.count(), 1, 15000);
    QCOMPARE(dialog.resultCount(), 2);
    if (const QString shots = qEnvironmentVariable("CFX_SCREENSHOT_DIR"); !shots.isEmpty())
      QVERIFY(dialog.grab().save(shots + "/pacs_dialog.png"));

    dialog.findChild<QLineEdit*>("pacs:patientId")->setText("s000000");
    dialog.search();
    QTRY_COMPARE_WITH_TIMEOUT(searched.count(), 2, 15000);
    QCOMPARE(dialog.resultCount(), 1);
    // The default filter (radiographs) finds none of the synthetic OT studies.
    dialog.findChild<QComboBox*>("pacs:modality")->setCurrentIndex(0);
    dialog.search();
    QTRY_COMPARE_WITH_TIMEOUT(searched.count(), 3, 15000);
    QCOMPARE(dialog.resultCount(), 0);
    dialog.findChild<QComboBox*>("pacs:modality")->setCurrentIndex(1);
    dialog.search();
    QTRY_COMPARE_WITH_TIMEOUT(searched.count(), 4, 15000);

    QSignalSpy retrieved(&dialog, &ui::PacsDialog::studyRetrieved);
    dialog.openSelected();
    QTRY_COMPARE_WITH_TIMEOUT(retrieved.count(), 1, 15000);
    const QString path = retrieved.at(0).at(0).toString();
    QVERIFY(QFile::exists(path));
    QVERIFY(path.startsWith(dir_.filePath("cache")));
    QVERIFY(retrieved.at(0).at(1).toString().contains("PHANTOM^s000000"));
  }

  void reportsFailuresInTheDialog() {
    ui::PacsDialog dialog(dialogOptions());
    pacs::PacsNode closed = server_->node();
    closed.port = test::OrthancServer::freePort();
    dialog.setNode(closed);
    QSignalSpy failed(&dialog, &ui::PacsDialog::failed);
    dialog.search();
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 15000);
    QVERIFY(failed.at(0).at(0).toString().contains("connection refused"));
    QVERIFY(dialog.statusText().contains("connection refused"));
    QVERIFY(!dialog.busy());
    dialog.setNode(server_->node());
    dialog.findChild<QLineEdit*>("pacs:dateFrom")->setText("2024-01");
    dialog.search();
    QCOMPARE(failed.count(), 2);  // refused before anything is sent
    QVERIFY(failed.at(1).at(0).toString().contains("YYYYMMDD"));
    dialog.findChild<QLineEdit*>("pacs:dateFrom")->clear();
    dialog.findChild<QLineEdit*>("pacs:aeTitle")->clear();
    dialog.echo();
    QCOMPARE(failed.count(), 3);
    QVERIFY(failed.at(2).at(0).toString().contains("ae_title"));
  }

  // The whole loop in the explorer: open a study from the PACS, intervene, send the
  // counterfactual back; the PACS then holds a second series in the study.
  void explorerOpensFromAndSendsToThePacs() {
    ui::ExplorerOptions options;
    options.modelDir = CFX_SOURCE_DIR "/models/phantom";
    options.dialogs = false;
    options.pacsNodesFile = dir_.filePath("nodes.json");
    options.pacsCacheDir = dir_.filePath("explorer-cache");
    ui::MainWindow window(options);
    window.show();
    QTRY_VERIFY_WITH_TIMEOUT(window.modelReady(), 20000);
    ui::PacsDialog* dialog = window.pacsDialog();
    dialog->setNode(server_->node());
    dialog->findChild<QComboBox*>("pacs:modality")->setCurrentIndex(1);
    dialog->findChild<QLineEdit*>("pacs:patientId")->setText("s000000");
    QSignalSpy searched(dialog, &ui::PacsDialog::searchFinished);
    dialog->search();
    QTRY_COMPARE_WITH_TIMEOUT(searched.count(), 1, 15000);
    QSignalSpy shown(&window, &ui::MainWindow::counterfactualShown);
    dialog->openSelected();
    QTRY_VERIFY_WITH_TIMEOUT(shown.count() >= 1, 30000);
    QVERIFY(window.studyReady());
    window.panel()->setTarget("heart_area", window.panel()->target("heart_area") * 1.15);
    QTRY_VERIFY_WITH_TIMEOUT(shown.count() >= 2, 30000);
    QSignalSpy stored(&window, &ui::MainWindow::pacsStored);
    window.sendToPacs(server_->node());
    QTRY_COMPARE_WITH_TIMEOUT(stored.count(), 1, 30000);
    QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
    const auto series = pacs::PacsClient(server_->node()).findSeries(sampleStudy_);
    QCOMPARE(int(series.size()), 2);
    bool synthetic = false;
    for (const auto& s : series)
      synthetic = synthetic || s.seriesDescription.rfind("SYNTHETIC COUNTERFACTUAL", 0) == 0;
    QVERIFY(synthetic);
  }
};

QTEST_MAIN(TestPacsDialog)
#include "test_pacs_dialog.moc"
