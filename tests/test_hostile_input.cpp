#include <dcmtk/dcmdata/dctk.h>
#include <signal.h>
#include <sys/resource.h>

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <fstream>

#include "commands.h"
#include "counterfactual_engine.h"
#include "counterfactual_job.h"
#include "dicom_io.h"
#include "error_text.h"
#include "manifest.h"
#include "model_bundle.h"
#include "phantom_scm.h"
#include "png_io.h"
#include "radiograph_reader.h"
#include "safetensors.h"
#include "test_helpers.h"

using namespace cfx;
namespace fs = std::filesystem;

namespace {

long maxResidentMegabytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

std::shared_ptr<CounterfactualEngine> loadEngine(const std::string& dir) {
  EngineOptions options;
  options.device = torch::kCPU;
  return CounterfactualEngine::load(dir, options);
}

std::string readText(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// A big-endian 32-bit number, as PNG writes them.
void put32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out += char((value >> shift) & 0xff);
}

// A PNG whose header claims `width` x `height` (colour type `colour`), with a few bytes of data.
std::string pngClaiming(std::uint32_t width, std::uint32_t height, int colour) {
  std::string png("\x89PNG\r\n\x1a\n", 8);
  put32(png, 13);
  png += "IHDR";
  put32(png, width);
  put32(png, height);
  png += char(8);
  png += char(colour);
  png += std::string(3, '\0');
  put32(png, 0);  // CRC, never reached
  png += std::string(64, '\x55');
  return png;
}

}  // namespace

// Every case of hostile input the tester of issue 22 found, each refused with a message that names
// the file, the field and what was expected, and without touching the input or leaving partial
// output.
class TestHostileInput : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  const std::string model_ = CFX_SOURCE_DIR "/models/phantom";
  const std::string sample_ = CFX_SOURCE_DIR "/resources/samples/phantom/phantom_s0.dcm";

  std::string path(const std::string& name) const {
    return dir_.filePath(name.c_str()).toStdString();
  }

  // A copy of the bundled model to damage.
  std::string copyModel(const std::string& name) {
    const std::string copy = path(name);
    fs::copy(model_, copy, fs::copy_options::recursive);
    return copy;
  }

  // The sample DICOM with `change` applied to its data set, saved as `name`.
  std::string dicomWith(const std::string& name, const std::function<void(DcmDataset&)>& change,
                        E_TransferSyntax syntax = EXS_LittleEndianExplicit) {
    DcmFileFormat file;
    if (file.loadFile(sample_.c_str()).bad()) return {};
    change(*file.getDataset());
    const std::string out = path(name);
    file.saveFile(out.c_str(), syntax);
    return out;
  }

  // Replaces `tensor` of a component's weights with NaN and saves it with a matching checksum.
  void poison(const std::string& modelDir, const std::string& component) {
    auto loaded = ModelBundle::loadComponent(modelDir, component);
    auto& first = loaded.weights.begin()->second;
    first = first.clone();
    first.view(-1)[0] = std::nan("");
    ModelBundle::saveComponent(modelDir, component, loaded.config, loaded.weights,
                               loaded.provenance);
  }

 private Q_SLOTS:
  void damagedModelFolders() {
    // NaN weights (checksum matching): refused at load, naming the file and the tensor.
    const std::string nanHvae = copyModel("nan-hvae");
    poison(nanHvae, "hvae");
    CFX_EXPECT_ERROR(loadEngine(nanHvae), "hvae.safetensors", "NaN");
    const std::string nanSegmentor = copyModel("nan-segmentor");
    poison(nanSegmentor, "segmentor");
    CFX_EXPECT_ERROR(loadEngine(nanSegmentor), "segmentor.safetensors", "NaN");
    // ... and `cfx counterfactual` writes nothing at all.
    const std::string out = path("nan-out");
    QCOMPARE(cli::runCfx({"counterfactual", "--model", nanHvae, "--image", sample_, "--out", out,
                          "--threads", "1"}),
             1);
    QVERIFY(!fs::exists(out) || fs::is_empty(out));

    // A flipped bit in a weight file: the checksum says so.
    const std::string flipped = copyModel("flipped");
    {
      std::fstream file(flipped + "/scm.safetensors",
                        std::ios::in | std::ios::out | std::ios::binary);
      file.seekg(-100, std::ios::end);
      char byte = 0;
      file.read(&byte, 1);
      file.seekp(-100, std::ios::end);
      byte = char(byte ^ 0x10);
      file.write(&byte, 1);
    }
    CFX_EXPECT_ERROR(loadEngine(flipped), "scm.safetensors", "checksum", "changed or damaged");

    // model.json: a version of 1.5, a weight path outside the folder, a wrong type, no file.
    const std::string edited = copyModel("edited");
    const std::string original = readText(edited + "/model.json");
    auto json = nlohmann::json::parse(original);
    json["version"] = 1.5;
    writeText(edited + "/model.json", json.dump());
    CFX_EXPECT_ERROR(loadEngine(edited), "model.json", "version", "1.5");
    json = nlohmann::json::parse(original);
    json["components"]["scm"]["weights"] = "../../../../etc/passwd";
    writeText(edited + "/model.json", json.dump());
    CFX_EXPECT_ERROR(loadEngine(edited), "model.json", "components.scm.weights",
                     "not a file name inside the model folder");
    json = nlohmann::json::parse(original);
    json["components"]["hvae"]["config"]["hvae"]["width"] = "48";
    writeText(edited + "/model.json", json.dump());
    CFX_EXPECT_ERROR(loadEngine(edited), "model.json", "hvae.width", "\"48\"");
    // A weight file name longer than a file system allows (found by fuzz_model_json: the
    // file-system query threw instead of answering).
    json = nlohmann::json::parse(original);
    json["components"]["scm"]["weights"] = std::string(300, 'w') + ".safetensors";
    writeText(edited + "/model.json", json.dump());
    CFX_EXPECT_ERROR(loadEngine(edited), "model.json", "components.scm.weights",
                     "not a file name inside the model folder");
    // Network sizes that would allocate without bound (found by fuzz_model_json: 70 digits of
    // resolution overflowed std::stoll).
    json = nlohmann::json::parse(original);
    json["components"]["hvae"]["config"]["hvae"]["architecture"] =
        "128222222222222222222222222222222222222222222222222222222222222222b4,1b2";
    writeText(edited + "/model.json", json.dump());
    CFX_EXPECT_ERROR(loadEngine(edited), "model.json", "hvae.architecture");
    json = nlohmann::json::parse(original);
    json["components"]["hvae"]["config"]["hvae"]["width"] = 1000000000;
    writeText(edited + "/model.json", json.dump());
    CFX_EXPECT_ERROR(loadEngine(edited), "model.json", "hvae.width", "expected 4-512");
    // A segmentor that measures a variable the graph does not have.
    json = nlohmann::json::parse(original);
    json["components"]["segmentor"]["config"]["structures"][0]["variable"] = "aorta_area";
    writeText(edited + "/model.json", json.dump());
    CFX_EXPECT_ERROR(loadEngine(edited), "model.json", "segmentor",
                     "'aorta_area' is not a continuous variable");
    writeText(edited + "/model.json", "true");
    CFX_EXPECT_ERROR(loadEngine(edited), "model.json", "expected an object");
    fs::remove(edited + "/model.json");
    CFX_EXPECT_ERROR(loadEngine(edited), "model.json", "missing", "cfx model folder");

    // A binary variable without its two category names.
    auto graph = phantom::PhantomScm::graph().toJson();
    graph["variables"][0].erase("categories");
    CFX_EXPECT_ERROR(CausalGraph::fromJson(graph, "graph.json"), "graph.json", "categories",
                     "exactly 2 names");
  }

  void oversizedImagesAreRefusedFromTheHeader() {
    const long before = maxResidentMegabytes();
    // 34 KB of DICOM declaring 65535 x 65535 pixels.
    const std::string huge = dicomWith("huge.dcm", [](DcmDataset& ds) {
      ds.putAndInsertUint16(DCM_Rows, 65535);
      ds.putAndInsertUint16(DCM_Columns, 65535);
    });
    CFX_EXPECT_ERROR(io::readDicom(huge), "huge.dcm", "Rows (0028,0010)", "65535 x 65535",
                     "larger than the supported");
    for (const auto& [name, colour] :
         {std::pair{"claims20000.png", 0}, std::pair{"claims30000rgb.png", 2}}) {
      const std::uint32_t side = colour == 0 ? 20000 : 30000;
      writeText(path(name), pngClaiming(side, side, colour));
      CFX_EXPECT_ERROR(io::readGrayPng(path(name)), name, "IHDR", "larger than the supported");
    }
    writeText(path("rgb.png"), pngClaiming(64, 64, 2));
    CFX_EXPECT_ERROR(io::readGrayPng(path("rgb.png")), "rgb.png", "expected a grayscale image",
                     "RGB colour");
    QVERIFY2(maxResidentMegabytes() - before < 300,
             qPrintable(QString("grew by %1 MB").arg(maxResidentMegabytes() - before)));
  }

  void dicomHeadersAreValidated() {
    const auto expect = [&](const std::string& name, const std::function<void(DcmDataset&)>& change,
                            std::initializer_list<const char*> fragments) {
      const std::string file = dicomWith(name, change);
      try {
        io::readRadiograph(file);
        QFAIL(qPrintable(QString::fromStdString(name + " was accepted")));
      } catch (const ValidationError& e) {
        for (const char* fragment : fragments)
          QVERIFY2(QString(e.what()).contains(fragment),
                   qPrintable(QString("'%1' lacks '%2'").arg(e.what(), fragment)));
      }
    };
    std::vector<Uint16> few(100, 7);
    expect("truncated.dcm",
           [&](DcmDataset& ds) { ds.putAndInsertUint16Array(DCM_PixelData, few.data(), 100); },
           {"PixelData (7FE0,0010)", "200 bytes, expected 32768", "truncated"});
    std::vector<Uint16> more(128 * 130, 7);
    expect("mismatch.dcm",
           [&](DcmDataset& ds) {
             ds.putAndInsertUint16Array(DCM_PixelData, more.data(), unsigned(more.size()));
           },
           {"PixelData", "Rows/Columns do not match"});
    expect("bits17.dcm", [](DcmDataset& ds) { ds.putAndInsertUint16(DCM_BitsAllocated, 17); },
           {"BitsAllocated (0028,0100)", "expected 8 or 16, got 17"});
    for (const char* frames : {"0", "-1"})
      expect(std::string("frames") + frames + ".dcm",
             [&](DcmDataset& ds) { ds.putAndInsertString(DCM_NumberOfFrames, frames); },
             {"NumberOfFrames (0028,0008)", "positive number of frames"});
    expect("framesabc.dcm",
           [](DcmDataset& ds) { ds.putAndInsertString(DCM_NumberOfFrames, "abc"); },
           {"NumberOfFrames", "'abc' is not an integer"});
    for (const char* slope : {"0", "NaN", "inf"})
      expect(std::string("slope") + slope + ".dcm",
             [&](DcmDataset& ds) { ds.putAndInsertString(DCM_RescaleSlope, slope); },
             {"RescaleSlope (0028,1053)"});
    expect("window.dcm", [](DcmDataset& ds) { ds.putAndInsertString(DCM_WindowWidth, "-5"); },
           {"WindowWidth (0028,1051)", "at least 1"});
    // An unknown transfer syntax in the meta header.
    {
      DcmFileFormat file;
      QVERIFY(file.loadFile(sample_.c_str()).good());
      QVERIFY(file.saveFile(path("xfer.dcm").c_str(), EXS_LittleEndianExplicit).good());
      std::string bytes = readText(path("xfer.dcm"));
      const std::string uid = UID_LittleEndianExplicitTransferSyntax;  // 1.2.840.10008.1.2.1
      const auto at = bytes.find(uid);
      QVERIFY(at != std::string::npos);
      bytes.replace(at, uid.size(), std::string("1.2.840.99999.1.2.3").substr(0, uid.size()));
      writeText(path("xfer.dcm"), bytes);
      CFX_EXPECT_ERROR(io::readDicom(path("xfer.dcm")), "xfer.dcm", "TransferSyntaxUID",
                       "unknown transfer syntax");
    }
  }

  void patientAgeIsReadWithItsUnit() {
    const auto ageOf = [&](const std::string& text) {
      return io::readDicom(dicomWith("age.dcm",
                                     [&](DcmDataset& ds) {
                                       ds.putAndInsertString(DCM_PatientAge, text.c_str());
                                     }))
          .metadata;
    };
    QVERIFY(std::abs(*ageOf("034M").patientAgeYears - 34.0 / 12.0) < 1e-9);
    QCOMPARE(*ageOf("063Y").patientAgeYears, 63.0);
    QVERIFY(!ageOf("999Y").patientAgeYears);
    QVERIFY(QString::fromStdString(ageOf("999Y").ageProblem).contains("not a plausible age"));
    QVERIFY(QString::fromStdString(ageOf("abc").ageProblem).contains("'abc' is not an age"));
    // Through `cfx counterfactual`: a child's age is outside the model's range, an unreadable
    // age says so (not "missing"), and --attr age= overrides it.
    const auto job = [&](const std::string& age, std::vector<std::string> attributes) {
      const std::string input = dicomWith("job-" + age + ".dcm", [&](DcmDataset& ds) {
        ds.putAndInsertString(DCM_PatientAge, age.c_str());
      });
      session::CounterfactualJob request{model_, input, path("age-out-" + age), attributes, {}, {}};
      request.engine.device = torch::kCPU;
      return session::runCounterfactualJob(request);
    };
    CFX_EXPECT_ERROR(job("034M", {}), "age", "2.83", "outside the model's supported range 18-95",
                     "from the DICOM header");
    CFX_EXPECT_ERROR(job("abc", {}), "age", "PatientAge (0010,1010) 'abc'", "--attr age=");
    QCOMPARE(job("abc", {"age=40"}).result.scalars.factual.at("age"), 40.0);
  }

  void manifestsAreValidated() {
    const CausalGraph graph = phantom::PhantomScm::graph();
    fs::create_directories(path("data/images"));
    writeText(path("data/images/a.png"), "");
    const std::string header = "id,image,split,sex,age,heart_area,right_lung_area,left_lung_area\n";
    // A byte-order mark from a spreadsheet program is not part of the first column's name.
    writeText(path("data/bom.csv"),
              "\xEF\xBB\xBF" + header + "a,images/a.png,train,F,50,9,18,16\n");
    QCOMPARE(int(data::readManifest(path("data/bom.csv"), graph).rows.size()), 1);
    writeText(path("data/ranges.csv"), header + "a,images/a.png,train,F,-5,9,18,16\n" +
                                           "b,images/a.png,train,F,1e300,9,18,16\n");
    CFX_EXPECT_ERROR(data::readManifest(path("data/ranges.csv"), graph), "ranges.csv",
                     "line 2: age = '-5' is outside the graph's range",
                     "line 3: age = '1e300' is outside");
    writeText(path("data/escape.csv"),
              header + "a,../../../../../../etc/shadow,train,F,50,9,18,16\n");
    CFX_EXPECT_ERROR(data::readManifest(path("data/escape.csv"), graph), "escape.csv", "line 2",
                     "leads outside the data set's folder", "CFX_ALLOW_PATHS_OUTSIDE_DATASET");
  }

  void messagesAreOneLineWithoutBacktraces() {
    try {
      torch::zeros({2}).view({3});
      QFAIL("no error");
    } catch (const std::exception& e) {
      const QString text = QString::fromStdString(errorText(e));
      QVERIFY2(!text.contains("frame #") && !text.contains("Exception raised from"),
               qPrintable(text));
    }
    // An error as LibTorch raises it where it keeps a backtrace: one line unless --verbose.
    const c10::Error withBacktrace("shape '[3]' is invalid for input of size 2",
                                   "frame #0: c10::Error::Error\nframe #1: at::native::view");
    QCOMPARE(QString::fromStdString(errorText(withBacktrace)),
             QString("shape '[3]' is invalid for input of size 2"));
    QVERIFY(QString::fromStdString(errorText(withBacktrace, true)).contains("frame #1"));
  }

  // Output is all or nothing: a failure at the end of an export leaves the folder as it was, and
  // an output that is the input file is refused without touching it.
  void outputIsAllOrNothing() {
    const std::string out = path("blocked");
    fs::create_directories(out + "/difference.png");  // a folder where a file must go
    QCOMPARE(cli::runCfx({"counterfactual", "--model", model_, "--image", sample_, "--out", out,
                          "--threads", "1"}),
             1);
    std::vector<std::string> left;
    for (const auto& entry : fs::directory_iterator(out)) left.push_back(entry.path().filename());
    QCOMPARE(left, std::vector<std::string>{"difference.png"});
    const std::string input = path("input.dcm");
    fs::copy_file(sample_, input);
    const std::string before = readText(input);
    QCOMPARE(cli::runCfx({"counterfactual", "--model", model_, "--image", input, "--out", input,
                          "--threads", "1"}),
             1);
    QCOMPARE(readText(input), before);
  }

  // SIGTERM stops a command: at its next safe point, or after the grace period.
  void sigtermStopsACommand() {
    QProcess cfx;
    const std::string out = path("sigterm");
    cfx.start(CFX_BINARY_DIR "/app/cfx", {"phantom", "--out", QString::fromStdString(out),
                                          "--count", "100000", "--size", "64"});
    QVERIFY(cfx.waitForStarted());
    // Once its staging folder exists the command is at work (start-up alone can take seconds on
    // a busy machine, and a signal before main() is the default action, not ours).
    const QString staging =
        QString::fromStdString(out) + ".partial-" + QString::number(cfx.processId());
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(staging), 30000);
    QElapsedTimer clock;
    clock.start();
    ::kill(pid_t(cfx.processId()), SIGTERM);
    QVERIFY(cfx.waitForFinished(10000));
    QVERIFY2(clock.elapsed() < 6000, qPrintable(QString::number(clock.elapsed())));
    QCOMPARE(cfx.exitStatus(), QProcess::NormalExit);
    QCOMPARE(cfx.exitCode(), 130);
    QVERIFY(!fs::exists(out));  // nothing of the data set is left, not even its staging folder
    QVERIFY(!QFileInfo::exists(staging));
  }

  void explorerHelpNeedsNoDisplay() {
    QProcess explorer;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
      environment.remove(name);
    explorer.setProcessEnvironment(environment);
    explorer.start(CFX_BINARY_DIR "/app/cfx-explorer", {"--help"});
    QVERIFY(explorer.waitForFinished(20000));
    QCOMPARE(explorer.exitStatus(), QProcess::NormalExit);
    QCOMPARE(explorer.exitCode(), 0);
    QVERIFY(explorer.readAllStandardOutput().contains("--model"));
    explorer.start(CFX_BINARY_DIR "/app/cfx-explorer", {});
    QVERIFY(explorer.waitForFinished(20000));
    QCOMPARE(explorer.exitStatus(), QProcess::NormalExit);
    QCOMPARE(explorer.exitCode(), 2);
    QVERIFY(explorer.readAllStandardError().contains("no display"));
  }
};

QTEST_GUILESS_MAIN(TestHostileInput)
#include "test_hostile_input.moc"
