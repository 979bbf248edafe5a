#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <fstream>

#include "attribute_imputation.h"
#include "clinical_reading.h"
#include "dataset_import.h"
#include "dataset_merge.h"
#include "dataset_tensors.h"
#include "import_layouts.h"
#include "io_error.h"
#include "lung_mask_split.h"
#include "manifest.h"
#include "png_io.h"
#include "test_helpers.h"
#include "tiny_models.h"

using namespace cfx;
namespace fs = std::filesystem;

namespace {

// A 40 x 40 binary mask (0 / 255) with filled rectangles [x0, x1) x [y0, y1).
LabelMap rectangles(std::initializer_list<std::array<int, 4>> boxes, int size = 40) {
  LabelMap mask(size, size, 0);
  for (const auto& b : boxes)
    for (int y = b[2]; y < b[3]; ++y)
      for (int x = b[0]; x < b[1]; ++x) mask.at(x, y) = 255;
  return mask;
}

GrayImage gradient(int size = 40) {
  GrayImage image(size, size);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) image.at(x, y) = float(x + y) / float(2 * size);
  return image;
}

void writeText(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// Centre column of a label in a label-map file, or -1.
double centreOf(const std::string& path, int label) {
  const LabelMap labels = io::readLabelPng(path);
  double sum = 0;
  long n = 0;
  for (int y = 0; y < labels.height; ++y)
    for (int x = 0; x < labels.width; ++x)
      if (labels.at(x, y) == label) sum += x, ++n;
  return n ? sum / double(n) : -1;
}

class QuietMonitor : public WorkMonitor {};

}  // namespace

class TestDatasetImport : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::string path(const std::string& name) { return dir_.filePath(name.c_str()).toStdString(); }

  // A Shenzhen-style release: images/, masks/<stem>_mask.png with both lungs, readings in
  // NLM's short style for two images, none for the third, a malformed one for the fourth.
  std::string shenzhen() {
    const fs::path root = path("shenzhen");
    if (fs::exists(root)) return root.string();
    fs::create_directories(root / "images");
    fs::create_directories(root / "masks");
    for (int i = 0; i < 4; ++i) {
      const std::string stem = "CHNCXR_000" + std::to_string(i) + "_0";
      io::writeGrayPng((root / "images" / (stem + ".png")).string(), gradient(), 8);
      // Image-left lung 8 x 20 (the patient's right), image-right lung 6 x 20, and a speck.
      io::writeLabelPng((root / "masks" / (stem + "_mask.png")).string(),
                        rectangles({{4, 12, 10, 30}, {26, 32, 10, 30}, {38, 39, 0, 1}}));
    }
    writeText(root / "ClinicalReadings/CHNCXR_0000_0.txt", "male 35yrs\nnormal\n");
    writeText(root / "ClinicalReadings/CHNCXR_0001_0.txt", "female 10 months\nnormal\n");
    writeText(root / "ClinicalReadings/CHNCXR_0003_0.txt", "Patient's Age: old\n");
    return root.string();
  }

 private Q_SLOTS:
  void lungSplitPutsThePatientsRightOnTheImagesLeft() {
    // Two lungs, a fragment near the image-right lung, and a speck (dropped).
    const LabelMap both =
        rectangles({{4, 12, 10, 30}, {26, 32, 10, 30}, {26, 32, 32, 36}, {38, 39, 0, 1}});
    const auto [right, left] = data::splitLungMask(both);
    long r = 0, l = 0;
    for (auto v : right.pixels) r += v != 0;
    for (auto v : left.pixels) l += v != 0;
    QCOMPARE(r, 8L * 20);
    QCOMPARE(l, 6L * 20 + 6L * 4);  // the fragment joins the nearer lung
    QVERIFY(right.at(5, 15) && !left.at(5, 15) && left.at(27, 34));
    QVERIFY(!right.at(38, 0) && !left.at(38, 0));  // the speck is gone
    QVERIFY_EXCEPTION_THROWN(data::splitLungMask(rectangles({{4, 32, 10, 30}})),
                             std::invalid_argument);
  }

  void clinicalReadingsInBothStyles() {
    auto v = data::parseClinicalReading("male 35yrs\nnormal\n");
    QCOMPARE(v.at("sex"), 1.0);
    QCOMPARE(v.at("age"), 35.0);
    v = data::parseClinicalReading("\nfemale 10 months\n");
    QCOMPARE(v.at("sex"), 0.0);
    QCOMPARE(v.at("age"), 10.0 / 12.0);
    v = data::parseClinicalReading("Patient's Sex: F\nPatient's Age: 035Y\nnormal\n");
    QCOMPARE(v.at("sex"), 0.0);
    QCOMPARE(v.at("age"), 35.0);
    v = data::parseClinicalReading("Patient's Sex: M\n");  // no age line: age unknown
    QCOMPARE(v.size(), size_t(1));
    QVERIFY(data::parseClinicalReading("bilateral infiltrates\n").empty());
    QVERIFY_EXCEPTION_THROWN(data::parseClinicalReading("Patient's Sex: X\n"),
                             std::invalid_argument);
    QVERIFY_EXCEPTION_THROWN(data::parseClinicalReading("Patient's Age: abc\n"),
                             std::invalid_argument);
    QCOMPARE(data::parseAge("  72 "), 72.0);
    QCOMPARE(data::parseSex("1"), 1.0);
  }

  void nlmShenzhenStyleImports() {
    data::ImportOptions options;
    options.outDir = path("out-shenzhen");
    options.size = 20;
    options.valFraction = 0.34;
    QuietMonitor monitor;
    const auto summary =
        data::writeImportedDataset(data::scanNlmTbLayout(shenzhen()), options, monitor);
    QCOMPARE(summary.imported, 3L);
    QCOMPARE(summary.skipped.size(), size_t(1));  // the malformed reading
    QVERIFY(summary.skipped[0].first.find("CHNCXR_0003_0") != std::string::npos);
    QVERIFY(summary.skipped[0].second.find("CHNCXR_0003_0.txt") != std::string::npos);
    QVERIFY(summary.skipped[0].second.find("'old'") != std::string::npos);
    QCOMPARE(summary.known.at("sex"), 2L);
    QCOMPARE(summary.known.at("right_lung_area"), 3L);
    QCOMPARE(summary.sidesSwapped, 0L);
    QCOMPARE(summary.splits.at("val"), 1L);
    QCOMPARE(summary.splits.at("train"), 2L);

    const CausalGraph graph = data::loadGraphFile(options.outDir + "/graph.json");
    QVERIFY(!graph.indexOf("heart_area"));  // no heart masks: left out
    QCOMPARE(graph.variable("left_lung_area").parents, (std::vector<std::string>{"sex", "age"}));
    const auto manifest = data::readManifest(options.outDir + "/manifest.csv", graph);
    QCOMPARE(manifest.rows.size(), size_t(3));
    for (const auto& row : manifest.rows) {
      // 8 x 20 of 40 x 40 is 10 %, 6 x 20 is 7.5 %; at 20 px exactly half as many pixels.
      QCOMPARE(row.attributes.at("right_lung_area"), 10.0);
      QCOMPARE(row.attributes.at("left_lung_area"), 7.5);
      QVERIFY(centreOf(row.mask, 1) < centreOf(row.mask, 2));  // patient's right on image left
      QCOMPARE(io::readGrayPng(row.image).width, 20);
    }
    QCOMPARE(manifest.rows[0].attributes.at("age"), 35.0);
    QCOMPARE(manifest.rows[1].attributes.at("sex"), 0.0);
    QVERIFY(!manifest.rows[2].attributes.count("sex"));  // no reading: unknown
    // Ranges are fitted to the data with the margin: ages 0.83 and 35.
    QVERIFY(graph.variable("age").max > 35 && graph.variable("age").max < 40);
    const auto attributes = data::attributeTensor(manifest, graph, "all");
    QCOMPARE(torch::isnan(attributes).sum().item<int64_t>(), int64_t(2));
    QVERIFY(fs::exists(options.outDir + "/import_report.png"));
    std::ifstream report(options.outDir + "/import_report.txt");
    const std::string text((std::istreambuf_iterator<char>(report)), {});
    QVERIFY(text.find("'old'") != std::string::npos);

    // A second import into the same folder is refused; the folder is left as it was.
    CFX_EXPECT_ERROR(
        data::writeImportedDataset(data::scanNlmTbLayout(shenzhen()), options, monitor),
        "out-shenzhen", "already there");
  }

  void nlmMontgomeryStyleImports() {
    const fs::path root = path("montgomery");
    for (int i = 0; i < 3; ++i) {
      const std::string stem = "MCUCXR_000" + std::to_string(i) + "_0";
      fs::create_directories(root / "CXR_png");
      io::writeGrayPng((root / "CXR_png" / (stem + ".png")).string(), gradient(), 16);
      fs::create_directories(root / "ManualMask/leftMask");
      fs::create_directories(root / "ManualMask/rightMask");
      // The patient's right lung on the image's left, except in the last case (swapped).
      const bool swapped = i == 2;
      io::writeLabelPng((root / "ManualMask/rightMask" / (stem + ".png")).string(),
                        rectangles({swapped ? std::array<int, 4>{26, 32, 10, 30}
                                            : std::array<int, 4>{4, 12, 10, 30}}));
      io::writeLabelPng((root / "ManualMask/leftMask" / (stem + ".png")).string(),
                        rectangles({swapped ? std::array<int, 4>{4, 12, 10, 30}
                                            : std::array<int, 4>{26, 32, 10, 30}}));
      writeText(root / "ClinicalReadings" / (stem + ".txt"),
                "Patient's Sex: M\nPatient's Age: 04" + std::to_string(i) + "Y\n");
    }
    data::ImportOptions options;
    options.outDir = path("out-montgomery");
    options.size = 40;
    options.valFraction = 0.34;
    QuietMonitor monitor;
    const auto summary =
        data::writeImportedDataset(data::scanNlmTbLayout(root.string()), options, monitor);
    QCOMPARE(summary.imported, 3L);
    QCOMPARE(summary.sidesSwapped, 1L);
    QVERIFY(summary.reportText.find("MCUCXR_0002_0") != std::string::npos);
    QCOMPARE(summary.mean.at("age"), 41.0);
    QCOMPARE(summary.mean.at("sex"), 1.0);
    const CausalGraph graph = data::loadGraphFile(options.outDir + "/graph.json");
    const auto manifest = data::readManifest(options.outDir + "/manifest.csv", graph);
    int depth = 0;
    io::readGrayPng(manifest.rows[0].image, &depth);
    QCOMPARE(depth, 16);  // a 16-bit source stays 16-bit
    QCOMPARE(manifest.rows[0].attributes.at("right_lung_area"), 10.0);
  }

  void folderLayoutWithPartialMasksAndACsv() {
    const fs::path root = path("folder");
    fs::create_directories(root / "png");
    fs::create_directories(root / "heart");
    fs::create_directories(root / "lungs");
    for (int i = 0; i < 4; ++i) {
      const std::string stem = "case" + std::to_string(i);
      io::writeGrayPng((root / "png" / (stem + ".png")).string(), gradient(), 8);
      io::writeLabelPng((root / "lungs" / (stem + ".png")).string(),
                        rectangles({{4, 12, 10, 30}, {26, 32, 10, 30}}));
      if (i < 2)  // only two images have a heart mask
        io::writeLabelPng((root / "heart" / (stem + "_mask.png")).string(),
                          rectangles({{14, 24, 20, 30}}));
    }
    writeText(root / "heart/case3_mask.png", "not a PNG");  // a corrupt mask: that case is skipped
    writeText(root / "meta.csv",
              "file,Patient Sex,Patient Age\ncase0.png,F,61\ncase1.png,M,\ncase2.png,X,50\n");
    data::FolderLayout layout;
    layout.images = (root / "png").string();
    layout.lungMasks = (root / "lungs").string();
    layout.structures = {{"heart_area", (root / "heart").string()}};
    layout.attributes = (root / "meta.csv").string();
    layout.idColumn = "file";
    layout.sexColumn = "Patient Sex";
    layout.ageColumn = "Patient Age";
    auto scan = data::scanFolderLayout(layout);
    QCOMPARE(scan.cases.size(), size_t(4));
    QCOMPARE(scan.skipped.size(), size_t(1));  // the CSV row with sex 'X'
    QVERIFY(scan.skipped[0].first.find("meta.csv line 4") != std::string::npos);
    data::ImportOptions options;
    options.outDir = path("out-folder");
    options.size = 40;
    options.valFraction = 0.25;
    QuietMonitor monitor;
    const auto summary = data::writeImportedDataset(scan, options, monitor);
    QCOMPARE(summary.imported, 3L);
    QVERIFY(summary.skipped.back().first.find("case3") != std::string::npos);
    QVERIFY(summary.skipped.back().second.find("case3_mask.png") != std::string::npos);
    const CausalGraph graph = data::loadGraphFile(options.outDir + "/graph.json");
    const auto manifest = data::readManifest(options.outDir + "/manifest.csv", graph);
    QCOMPARE(manifest.rows[0].attributes.at("heart_area"), 100.0 * 10 * 10 / 1600);
    QCOMPARE(manifest.rows[0].attributes.at("age"), 61.0);
    QVERIFY(!manifest.rows[1].attributes.count("age"));
    QCOMPARE(manifest.rows[1].attributes.at("sex"), 1.0);
    QVERIFY(!manifest.rows[2].attributes.count("heart_area"));  // no heart mask: unknown
    QCOMPARE(centreOf(manifest.rows[2].mask, 3), -1.0);         // and not in its label map
    // The heart is painted over the lungs where they overlap: its area is what the map shows.
    QCOMPARE(centreOf(manifest.rows[0].mask, 3), 18.5);

    // A CSV without the id column is refused, naming the file and the column.
    writeText(root / "bad.csv", "name,sex\ncase0,F\n");
    layout.attributes = (root / "bad.csv").string();
    CFX_EXPECT_ERROR_OF(io::IoError, data::scanFolderLayout(layout), "bad.csv", "'file'");
  }

  void mergeKeepsUnknownsAndRefitsRanges() {
    nlmShenzhenStyleImportsOnce();
    QuietMonitor monitor;
    const std::string out = path("merged");
    const long rows =
        data::mergeDatasets({path("out-shenzhen"), path("out-folder")}, out, 0.1, monitor);
    QCOMPARE(rows, 6L);
    const CausalGraph graph = data::loadGraphFile(out + "/graph.json");
    QVERIFY(graph.indexOf("heart_area"));
    QCOMPARE(graph.variable("left_lung_area").parents,
             (std::vector<std::string>{"sex", "age", "heart_area"}));
    const auto manifest = data::readManifest(out + "/manifest.csv", graph);
    long heart = 0;
    for (const auto& row : manifest.rows) heart += long(row.attributes.count("heart_area"));
    QCOMPARE(heart, 2L);
    CFX_EXPECT_ERROR(
        data::mergeDatasets({path("out-shenzhen"), path("out-folder")}, out, 0.1, monitor),
        "already there");
  }

  void imputationFillsOnlyUnknownValues() {
    torch::manual_seed(0);
    const CausalGraph graph = test::chestGraph();
    data::ImageSet set;
    set.images = torch::rand({3, 1, 16, 16}) * 2 - 1;
    set.attributes = torch::tensor(
        {{0.f, 40.f, 9.f, 17.f, 15.f}, {NAN, NAN, NAN, 18.f, 14.f}, {1.f, 70.f, NAN, 16.f, 16.f}});
    Segmentor segmentor(test::tinySegmentorConfig());
    Predictor predictors(test::tinyPredictorConfig());
    segmentor->eval();
    predictors->eval();
    const auto imputation = data::imputeUnknownAttributes(set, graph, segmentor.get(),
                                                          predictors.get(), torch::kCPU, "test");
    QCOMPARE(imputation.counts.at("heart_area"), 2L);
    QCOMPARE(imputation.counts.at("age"), 1L);
    QVERIFY(!torch::isnan(set.attributes).any().item<bool>());
    QCOMPARE(set.attributes[0][2].item<float>(), 9.f);  // known values untouched
    const auto sex = set.attributes[1][0].item<float>();
    QVERIFY(sex == 0.f || sex == 1.f);
    // Each estimate within the graph's range; the heart area is the segmentor's soft area.
    QVERIFY(set.attributes[1][1].item<float>() >= 18 && set.attributes[1][1].item<float>() <= 95);
    const auto soft = SegmentorImpl::softAreas(segmentor->probabilities(set.images.slice(0, 2, 3)));
    QCOMPARE(set.attributes[2][2].item<float>(), std::clamp(soft[0][2].item<float>(), 4.f, 16.f));
    QVERIFY(imputation.imputed[1][0].item<bool>() && !imputation.imputed[0][0].item<bool>());

    set.attributes[0][1] = NAN;
    CFX_EXPECT_ERROR(data::imputeUnknownAttributes(set, graph, segmentor.get(), nullptr,
                                                   torch::kCPU, "some.csv"),
                     "some.csv", "age", "predictors");
  }

 private:
  void nlmShenzhenStyleImportsOnce() {
    if (!fs::exists(path("out-shenzhen/manifest.csv"))) nlmShenzhenStyleImports();
    if (!fs::exists(path("out-folder/manifest.csv"))) folderLayoutWithPartialMasksAndACsv();
  }
};

QTEST_GUILESS_MAIN(TestDatasetImport)
#include "test_dataset_import.moc"
