#include <dcmtk/dcmdata/dctk.h>

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <fstream>

#include "commands.h"
#include "orthanc_server.h"
#include "pacs_client.h"
#include "pacs_study.h"
#include "radiograph_reader.h"
#include "test_helpers.h"

using namespace cfx;
namespace fs = std::filesystem;

namespace cfx::test {

// A monitor that runs `onUpdate` for each instance received and can be cancelled.
class CallbackMonitor : public WorkMonitor {
 public:
  explicit CallbackMonitor(std::function<void(long)> onUpdate = {})
      : WorkMonitor(&cancel_), onUpdate_(std::move(onUpdate)) {}
  void update(long done, const std::string&) override {
    updates = done;
    if (onUpdate_) onUpdate_(done);
  }
  void cancel() { cancel_ = true; }
  long updates = 0;

 private:
  std::atomic<bool> cancel_{false};
  std::function<void(long)> onUpdate_;
};

}  // namespace cfx::test

namespace {

std::string tag(DcmDataset& ds, const DcmTagKey& key) {
  OFString value;
  ds.findAndGetOFStringArray(key, value);
  return value.c_str();
}

}  // namespace

// DICOM networking against a real server (Orthanc, started and stopped by the test): echo, find,
// C-GET, C-MOVE, store, the counterfactual round trip from the command line, and the failures a
// hospital network produces (refused, unknown AE titles, a server that dies or hangs mid-work).
class TestPacs : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::unique_ptr<test::OrthancServer> server_;
  std::string seriesStudy_, seriesUid_;  // a series of three instances
  std::vector<std::string> seriesSopUids_;
  std::string colourStudy_;
  std::string sample_ = CFX_SOURCE_DIR "/resources/samples/phantom/phantom_s0.dcm";

  // Three instances of one series (from a bundled sample, new SOP UIDs), in their own study.
  std::vector<std::string> makeSeries(const fs::path& folder) {
    fs::create_directories(folder);
    char uid[100];
    seriesStudy_ = dcmGenerateUniqueIdentifier(uid, SITE_STUDY_UID_ROOT);
    seriesUid_ = dcmGenerateUniqueIdentifier(uid, SITE_SERIES_UID_ROOT);
    std::vector<std::string> files;
    for (int i = 0; i < 3; ++i) {
      DcmFileFormat file;
      if (file.loadFile(CFX_SOURCE_DIR "/resources/samples/phantom/phantom_s1.dcm").bad())
        return {};
      DcmDataset& ds = *file.getDataset();
      const std::string sop = dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT);
      ds.putAndInsertString(DCM_StudyInstanceUID, seriesStudy_.c_str());
      ds.putAndInsertString(DCM_SeriesInstanceUID, seriesUid_.c_str());
      ds.putAndInsertString(DCM_SOPInstanceUID, sop.c_str());
      ds.putAndInsertString(DCM_PatientID, "SERIES3");
      ds.putAndInsertString(DCM_PatientName, "THREE^INSTANCES");
      ds.putAndInsertString(DCM_StudyDate, "20240115");
      ds.putAndInsertString(DCM_InstanceNumber, std::to_string(i + 1).c_str());
      file.getMetaInfo()->putAndInsertString(DCM_MediaStorageSOPInstanceUID, sop.c_str());
      const std::string path = (folder / (std::to_string(i) + ".dcm")).string();
      if (file.saveFile(path.c_str(), EXS_LittleEndianExplicit).bad()) return {};
      files.push_back(path);
      seriesSopUids_.push_back(sop);
    }
    return files;
  }

  // A colour photograph in a study of its own: nothing a chest model can use.
  std::string makeColourStudy(const fs::path& folder) {
    char uid[100];
    DcmFileFormat file;
    DcmDataset& ds = *file.getDataset();
    colourStudy_ = dcmGenerateUniqueIdentifier(uid, SITE_STUDY_UID_ROOT);
    ds.putAndInsertString(DCM_SOPClassUID, UID_SecondaryCaptureImageStorage);
    ds.putAndInsertString(DCM_SOPInstanceUID,
                          dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT));
    ds.putAndInsertString(DCM_StudyInstanceUID, colourStudy_.c_str());
    ds.putAndInsertString(DCM_SeriesInstanceUID,
                          dcmGenerateUniqueIdentifier(uid, SITE_SERIES_UID_ROOT));
    ds.putAndInsertString(DCM_PatientID, "COLOUR1");
    ds.putAndInsertString(DCM_PatientName, "COLOUR^PHOTO");
    ds.putAndInsertString(DCM_Modality, "OT");
    ds.putAndInsertString(DCM_ConversionType, "WSD");
    ds.putAndInsertUint16(DCM_SamplesPerPixel, 3);
    ds.putAndInsertString(DCM_PhotometricInterpretation, "RGB");
    ds.putAndInsertUint16(DCM_PlanarConfiguration, 0);
    ds.putAndInsertUint16(DCM_Rows, 8);
    ds.putAndInsertUint16(DCM_Columns, 8);
    ds.putAndInsertUint16(DCM_BitsAllocated, 8);
    ds.putAndInsertUint16(DCM_BitsStored, 8);
    ds.putAndInsertUint16(DCM_HighBit, 7);
    ds.putAndInsertUint16(DCM_PixelRepresentation, 0);
    std::vector<Uint8> pixels(8 * 8 * 3, 128);
    ds.putAndInsertUint8Array(DCM_PixelData, pixels.data(), unsigned(pixels.size()));
    const std::string path = (folder / "colour.dcm").string();
    file.saveFile(path.c_str(), EXS_LittleEndianExplicit);
    return path;
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    try {
      server_ = std::make_unique<test::OrthancServer>();
    } catch (const std::exception& e) {
      QFAIL(e.what());
    }
    const fs::path root = dir_.path().toStdString();
    std::vector<std::string> files = makeSeries(root / "series");
    QCOMPARE(int(files.size()), 3);
    files.push_back(makeColourStudy(root));
    for (const char* name : {"phantom_s0.dcm", "phantom_s2.dcm"})
      files.push_back(std::string(CFX_SOURCE_DIR "/resources/samples/phantom/") + name);
    pacs::PacsClient client(server_->node());
    QElapsedTimer clock;
    clock.start();
    for (const auto& file : files) QVERIFY(!client.store(file).sopInstanceUid.empty());
    qInfo("stored %zu instances in %lld ms", files.size(), clock.elapsed());
    QCOMPARE(server_->rest("/instances").array().size(), 6);
  }

  void echoAnswers() {
    pacs::PacsClient client(server_->node());
    const double ms = client.echo();
    QVERIFY(ms > 0.0 && ms < 5000.0);
  }

  void findsStudiesByEveryKey() {
    pacs::PacsClient client(server_->node());
    QCOMPARE(int(client.findStudies({}).size()), 4);
    pacs::StudyQuery byId;
    byId.patientId = "SERIES3";
    auto found = client.findStudies(byId);
    QCOMPARE(int(found.size()), 1);
    QCOMPARE(found[0].studyInstanceUid, seriesStudy_);
    QCOMPARE(found[0].patientName, std::string("THREE^INSTANCES"));
    QCOMPARE(found[0].instanceCount, 3);
    pacs::StudyQuery byName;
    byName.patientName = "PHANTOM*";
    QCOMPARE(int(client.findStudies(byName).size()), 2);
    pacs::StudyQuery byDate;
    byDate.dateFrom = "20240101";
    byDate.dateTo = "20240131";
    found = client.findStudies(byDate);
    QCOMPARE(int(found.size()), 1);
    QCOMPARE(found[0].studyDate, std::string("20240115"));
    pacs::StudyQuery radiographs;
    radiographs.modalities = {"CR", "DX"};
    QCOMPARE(int(client.findStudies(radiographs).size()), 0);
    pacs::StudyQuery other;
    other.modalities = {"OT"};
    QCOMPARE(int(client.findStudies(other).size()), 4);
    pacs::StudyQuery badDate;
    badDate.dateFrom = "2024-01-01";
    CFX_EXPECT_ERROR(client.findStudies(badDate), "date from", "YYYYMMDD");
    pacs::StudyQuery badModality;
    badModality.modalities = {"cr\\dx"};
    CFX_EXPECT_ERROR(client.findStudies(badModality), "modality");
  }

  void findsSeries() {
    pacs::PacsClient client(server_->node());
    const auto series = client.findSeries(seriesStudy_);
    QCOMPARE(int(series.size()), 1);
    QCOMPARE(series[0].seriesInstanceUid, seriesUid_);
    QCOMPARE(series[0].instanceCount, 3);
    QCOMPARE(series[0].modality, std::string("OT"));
    QVERIFY(client.findSeries("1.2.3.4.5.6.7").empty());
  }

  void retrievesByGetAndByMove() {
    for (const auto method : {pacs::RetrieveMethod::Get, pacs::RetrieveMethod::Move}) {
      pacs::PacsClient client(server_->node(method));
      test::CallbackMonitor monitor;
      const std::string out =
          dir_.filePath(method == pacs::RetrieveMethod::Get ? "get" : "move").toStdString();
      QElapsedTimer clock;
      clock.start();
      const auto retrieved = client.retrieveSeries(seriesStudy_, seriesUid_, out, monitor, 3);
      qInfo("%s: 3 instances in %lld ms", method == pacs::RetrieveMethod::Get ? "C-GET" : "C-MOVE",
            clock.elapsed());
      QCOMPARE(int(retrieved.files.size()), 3);
      QCOMPARE(retrieved.failed, 0);
      QCOMPARE(monitor.updates, 3L);
      std::set<std::string> uids;
      for (const auto& file : retrieved.files) {
        DcmFileFormat dicom;
        QVERIFY(dicom.loadFile(file.c_str()).good());
        uids.insert(tag(*dicom.getDataset(), DCM_SOPInstanceUID));
        // The pixels arrive as they were sent.
        const auto got = io::readRadiograph(file).image;
        const auto sent =
            io::readRadiograph(CFX_SOURCE_DIR "/resources/samples/phantom/phantom_s1.dcm").image;
        QCOMPARE(got.width, sent.width);
        QVERIFY(got.pixels == sent.pixels);
      }
      QCOMPARE(uids, std::set<std::string>(seriesSopUids_.begin(), seriesSopUids_.end()));
    }
  }

  void refusesClearly() {
    pacs::PacsNode closed = server_->node();
    closed.port = test::OrthancServer::freePort();
    CFX_EXPECT_ERROR_OF(pacs::PacsError, pacs::PacsClient(closed).echo(), "C-ECHO",
                        "connection refused");
    pacs::PacsNode wrongCalled = server_->node();
    wrongCalled.calledAeTitle = "WRONG";
    CFX_EXPECT_ERROR_OF(pacs::PacsError, pacs::PacsClient(wrongCalled).findStudies({}),
                        "WRONG@127.0.0.1", "association rejected",
                        "called AE title 'WRONG' not recognised");
    pacs::PacsNode stranger = server_->node();
    stranger.callingAeTitle = "STRANGER";
    CFX_EXPECT_ERROR_OF(pacs::PacsError, pacs::PacsClient(stranger).findStudies({}), "C-FIND",
                        "our AE title 'STRANGER'");
    pacs::PacsNode nowhere = server_->node(pacs::RetrieveMethod::Move);
    nowhere.moveDestination = "NOBODY";
    test::CallbackMonitor monitor;
    CFX_EXPECT_ERROR_OF(
        pacs::PacsError,
        pacs::PacsClient(nowhere).retrieveSeries(seriesStudy_, seriesUid_,
                                                 dir_.filePath("nowhere").toStdString(), monitor),
        "C-MOVE", "move destination 'NOBODY'");
    pacs::PacsNode badTitle = server_->node();
    badTitle.callingAeTitle = "MUCH_TOO_LONG_AE_TITLE";
    CFX_EXPECT_ERROR(pacs::PacsClient{badTitle}, "calling_ae_title", "1-16 characters");
  }

  void findsTheChestImageOfAStudy() {
    pacs::PacsClient client(server_->node());
    test::CallbackMonitor monitor;
    const auto study = session::retrieveChestImage(client, seriesStudy_,
                                                   dir_.filePath("cache").toStdString(), monitor);
    QVERIFY(fs::exists(study.imagePath));
    QCOMPARE(study.series.seriesInstanceUid, seriesUid_);
    CFX_EXPECT_ERROR(session::retrieveChestImage(client, colourStudy_,
                                                 dir_.filePath("cache").toStdString(), monitor),
                     "no image a chest model can use", "PhotometricInterpretation", "RGB");
    CFX_EXPECT_ERROR(session::retrieveChestImage(client, "1.2.3.4.5.6.7",
                                                 dir_.filePath("cache").toStdString(), monitor),
                     "no such study");
  }

  void cancelsBetweenInstances() {
    pacs::PacsClient client(server_->node());
    test::CallbackMonitor* self = nullptr;
    test::CallbackMonitor monitor([&](long) { self->cancel(); });
    self = &monitor;
    bool interrupted = false;
    try {
      client.retrieveSeries(seriesStudy_, seriesUid_, dir_.filePath("cancel").toStdString(),
                            monitor);
    } catch (const Interrupted&) {
      interrupted = true;
    }
    QVERIFY(interrupted);
    QCOMPARE(monitor.updates, 1L);
    // The node is still usable after the aborted association.
    QVERIFY(client.echo() > 0.0);
  }

  // From the command line: retrieve the study, compute the counterfactual, send it back; then
  // the PACS holds a new series in the same study, marked synthetic, that dciodvfy accepts.
  void counterfactualRoundTrip() {
    DcmFileFormat sample;
    QVERIFY(sample.loadFile(sample_.c_str()).good());
    const std::string study = tag(*sample.getDataset(), DCM_StudyInstanceUID);
    const std::string patient = tag(*sample.getDataset(), DCM_PatientID);
    const std::string out = dir_.filePath("counterfactual").toStdString();
    const std::string node = "ORTHANC@127.0.0.1:" + std::to_string(server_->dicomPort());
    QElapsedTimer clock;
    clock.start();
    QCOMPARE(cli::runCfx({"counterfactual", "--model", CFX_SOURCE_DIR "/models/phantom", "--pacs",
                          node, "--calling-aet", "CFXTEST", "--study", study, "--do",
                          "heart_area=+15%", "--out", out, "--send", "--threads", "1"}),
             0);
    qInfo("retrieve, counterfactual and store: %lld ms", clock.elapsed());
    pacs::PacsClient client(server_->node());
    const auto series = client.findSeries(study);
    QCOMPARE(int(series.size()), 2);
    const auto synthetic = std::find_if(series.begin(), series.end(), [](const auto& s) {
      return s.seriesDescription == "SYNTHETIC COUNTERFACTUAL - NOT FOR DIAGNOSIS";
    });
    QVERIFY(synthetic != series.end());
    // Through Orthanc's own API: the stored instance's markings and identifiers.
    bool found = false;
    for (const auto& id : server_->rest("/instances").array()) {
      const QJsonObject tags =
          server_->rest("/instances/" + id.toString() + "/simplified-tags").object();
      if (tags["SeriesInstanceUID"].toString().toStdString() != synthetic->seriesInstanceUid)
        continue;
      found = true;
      QCOMPARE(tags["StudyInstanceUID"].toString().toStdString(), study);
      QCOMPARE(tags["PatientID"].toString().toStdString(), patient);
      QCOMPARE(tags["ConversionType"].toString(), QString("SYN"));
      QCOMPARE(tags["ImageType"].toString(), QString("DERIVED\\SECONDARY"));
      QVERIFY(tags["ImageComments"].toString().startsWith("SYNTHETIC IMAGE - NOT FOR DIAGNOSIS"));
      QVERIFY(tags["DerivationDescription"].toString().contains("heart_area=+15%"));
    }
    QVERIFY(found);
    // A second retrieval skips the synthetic series and takes the acquired image again.
    test::CallbackMonitor monitor;
    const auto again =
        session::retrieveChestImage(client, study, dir_.filePath("again").toStdString(), monitor);
    QVERIFY(again.series.seriesInstanceUid != synthetic->seriesInstanceUid);
    QCOMPARE(int(again.skipped.size()), 1);
  }

  // Both kinds of DICOM we write (a counterfactual, a phantom radiograph) are valid objects.
  void writtenDicomPassesDciodvfy() {
    const QString validator = QStandardPaths::findExecutable("dciodvfy");
    if (validator.isEmpty())
      QFAIL(
          "dciodvfy is not installed (Debian package dicom3tools; packaging/bootstrap.sh "
          "installs it)");
    const std::string phantom = dir_.filePath("phantom").toStdString();
    QCOMPARE(cli::runCfx(
                 {"phantom", "--out", phantom, "--count", "1", "--size", "32", "--format", "dcm"}),
             0);
    for (const QString& file : {dir_.filePath("counterfactual/counterfactual.dcm"),
                                dir_.filePath("phantom/images/s000000.dcm")}) {
      QVERIFY2(QFile::exists(file), qPrintable(file));
      QProcess run;
      run.start(validator, {file});
      QVERIFY(run.waitForFinished(30000));
      const QString report =
          QString::fromUtf8(run.readAllStandardError() + run.readAllStandardOutput());
      QVERIFY2(!report.contains("Error") && !report.contains("Warning"), qPrintable(report));
    }
  }

  void nodeFileIsValidated() {
    const std::string path = dir_.filePath("nodes.json").toStdString();
    pacs::PacsNode node = server_->node(pacs::RetrieveMethod::Move);
    pacs::saveNodes(path, {node});
    const auto loaded = pacs::loadNodes(path);
    QCOMPARE(int(loaded.size()), 1);
    QCOMPARE(loaded[0].port, node.port);
    QCOMPARE(loaded[0].receivePort, node.receivePort);
    QVERIFY(loaded[0].retrieve == pacs::RetrieveMethod::Move);
    QCOMPARE(pacs::resolveNode("orthanc", path).calledAeTitle, std::string("ORTHANC"));
    QCOMPARE(pacs::resolveNode("PACS@host.example:11112", path).port, 11112);
    CFX_EXPECT_ERROR(pacs::resolveNode("missing", path), "no node named 'missing'", "orthanc");
    const auto write = [&](const std::string& text) { std::ofstream(path) << text; };
    write(R"({"version": 2, "nodes": {}})");
    CFX_EXPECT_ERROR(pacs::loadNodes(path), "nodes.json", "version", "expected 1");
    write(R"({"version": 1, "nodes": {"a": {"ae_title": "A", "host": "h", "port": "104"}}})");
    CFX_EXPECT_ERROR(pacs::loadNodes(path), "nodes.a.port", "expected an integer");
    write(
        R"({"version": 1, "nodes": {"a": {"ae_title": "A", "host": "h", "port": 104, "prot": 1}}})");
    CFX_EXPECT_ERROR(pacs::loadNodes(path), "nodes.a.prot", "unknown key");
    write(R"({"version": 1, "nodes": {"a": {"ae_title": "A", "host": "h", "port": 70000}}})");
    CFX_EXPECT_ERROR(pacs::loadNodes(path), "nodes.a.port", "1-65535");
    write(
        R"({"version": 1, "nodes": {"a": {"ae_title": "A", "host": "h", "port": 104, "retrieve": "move"}}})");
    CFX_EXPECT_ERROR(pacs::loadNodes(path), "receive_port", "C-MOVE");
    write("{ not json");
    CFX_EXPECT_ERROR(pacs::loadNodes(path), "nodes.json", "not valid JSON");
  }

  // A server that dies after the first instance: a clear error, no hang, and no crash.
  void serverDiesMidTransfer() {
    test::OrthancServer dying;
    pacs::PacsClient client(dying.node());
    for (const auto& file : fs::directory_iterator(dir_.filePath("series").toStdString()))
      client.store(file.path().string());
    test::CallbackMonitor monitor([&](long done) {
      if (done == 1) dying.killNow();
    });
    QElapsedTimer clock;
    clock.start();
    CFX_EXPECT_ERROR_OF(pacs::PacsError,
                        client.retrieveSeries(seriesStudy_, seriesUid_,
                                              dir_.filePath("dying").toStdString(), monitor),
                        "C-GET", "after 1 instance");
    QVERIFY(clock.elapsed() < 15000);
    CFX_EXPECT_ERROR_OF(pacs::PacsError, client.echo(), "connection refused");
  }

  // DICOM over TLS (DCMTK's dcmtls): works with the right certificates, says why otherwise.
  void speaksTls() {
    test::OrthancServer secure(true);
    pacs::PacsClient client(secure.tlsNode());
    QVERIFY(client.echo() > 0.0);
    client.store(sample_);
    QCOMPARE(int(client.findStudies({}).size()), 1);
    pacs::PacsNode distrustful = secure.tlsNode();
    distrustful.tls.trustedCertificates = {secure.makeCertificate("stranger").toStdString()};
    CFX_EXPECT_ERROR_OF(pacs::PacsError, pacs::PacsClient(distrustful).echo(), "TLS",
                        "certificate verify failed");
    pacs::PacsNode plain = secure.node();
    plain.timeoutSeconds = 3;
    CFX_EXPECT_ERROR_OF(pacs::PacsError, pacs::PacsClient(plain).echo(), "expect TLS");
    pacs::PacsNode missing = secure.tlsNode();
    missing.tls.certificate = "/nonexistent/cert.pem";
    CFX_EXPECT_ERROR_OF(pacs::PacsError, pacs::PacsClient(missing).echo(),
                        "cannot read the certificate /nonexistent/cert.pem");
  }

  // A server that stops answering: the node's timeout ends the wait.
  void hungServerTimesOut() {
    test::OrthancServer hung;
    pacs::PacsNode node = hung.node();
    node.timeoutSeconds = 2;
    hung.pause();
    QElapsedTimer clock;
    clock.start();
    CFX_EXPECT_ERROR_OF(pacs::PacsError, pacs::PacsClient(node).echo(), "C-ECHO", "within 2 s");
    QVERIFY2(clock.elapsed() < 10000, qPrintable(QString::number(clock.elapsed())));
    hung.resume();
  }
};

QTEST_GUILESS_MAIN(TestPacs)
#include "test_pacs.moc"
