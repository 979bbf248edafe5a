#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <fstream>

#include "attribute_imputation.h"
#include "clinical_reading.h"
#include "dataset_import.h"
#include "dataset_merge.h"
#include "dataset_tensors.h"
#include "gif_decoder.h"
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

// A GIF of a binary mask in GIF's own coding: a two-entry palette (black, white), LZW with a clear
// code after every two pixels so every code stays 3 bits wide; rows interlaced when asked.
std::vector<unsigned char> gifOf(const LabelMap& mask, bool interlaced) {
  std::vector<unsigned char> out = {'G', 'I', 'F', '8', '9', 'a'};
  const auto little16 = [&](int v) {
    out.push_back(std::uint8_t(v & 255)), out.push_back(std::uint8_t(v >> 8));
  };
  little16(mask.width);
  little16(mask.height);
  out.insert(out.end(), {0x80, 0, 0});  // global table of 2 colours
  out.insert(out.end(), {0, 0, 0, 255, 255, 255});
  out.insert(out.end(), {0x21, 0xF9, 4, 0, 0, 0, 0, 0});  // a graphic control extension
  out.push_back(0x2C);
  little16(0), little16(0), little16(mask.width), little16(mask.height);
  out.push_back(interlaced ? 0x40 : 0);
  out.push_back(2);  // minimum code size: clear 4, end 5, codes of 3 bits
  std::vector<int> rows;
  if (interlaced) {
    for (const auto& [start, step] : {std::pair{0, 8}, {4, 8}, {2, 4}, {1, 2}})
      for (int y = start; y < mask.height; y += step) rows.push_back(y);
  } else {
    for (int y = 0; y < mask.height; ++y) rows.push_back(y);
  }
  std::vector<unsigned char> data;
  std::uint32_t buffer = 0;
  int bits = 0;
  const auto emit = [&](int code) {
    buffer |= std::uint32_t(code) << bits;
    bits += 3;
    while (bits >= 8) data.push_back(std::uint8_t(buffer & 255)), buffer >>= 8, bits -= 8;
  };
  int sinceClear = 2;
  for (int y : rows)
    for (int x = 0; x < mask.width; ++x) {
      if (sinceClear == 2) emit(4), sinceClear = 0;
      emit(mask.at(x, y) ? 1 : 0);
      ++sinceClear;
    }
  emit(5);
  if (bits > 0) data.push_back(std::uint8_t(buffer & 255));
  for (size_t at = 0; at < data.size(); at += 255) {
    const size_t n = std::min<size_t>(255, data.size() - at);
    out.push_back(std::uint8_t(n));
    out.insert(out.end(), data.begin() + long(at), data.begin() + long(at + n));
  }
  out.push_back(0);
  out.push_back(0x3B);
  return out;
}

void writeBytes(const fs::path& path, const std::vector<unsigned char>& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), long(bytes.size()));
}

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
    // A heart mask out on the left lung's side (a mislabelled pair): skipped too.
    io::writeGrayPng((root / "png/case4.png").string(), gradient(), 8);
    io::writeLabelPng((root / "lungs/case4.png").string(),
                      rectangles({{4, 12, 10, 30}, {26, 32, 10, 30}}));
    io::writeLabelPng((root / "heart/case4_mask.png").string(), rectangles({{33, 39, 12, 20}}));
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
    QCOMPARE(scan.cases.size(), size_t(5));
    QCOMPARE(scan.skipped.size(), size_t(1));  // the CSV row with sex 'X'
    QVERIFY(scan.skipped[0].first.find("meta.csv line 4") != std::string::npos);
    data::ImportOptions options;
    options.outDir = path("out-folder");
    options.size = 40;
    options.valFraction = 0.25;
    QuietMonitor monitor;
    const auto summary = data::writeImportedDataset(scan, options, monitor);
    QCOMPARE(summary.imported, 3L);
    QCOMPARE(summary.skipped.size(), size_t(3));
    QVERIFY(summary.skipped[1].first.find("case3") != std::string::npos);
    QVERIFY(summary.skipped[1].second.find("case3_mask.png") != std::string::npos);
    QVERIFY(summary.skipped[2].first.find("case4") != std::string::npos);
    QVERIFY(summary.skipped[2].second.find("swapped") != std::string::npos);
    QVERIFY(summary.reportText.find("case4") != std::string::npos);
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

  void gifMasksDecodeExactly() {
    const LabelMap mask = rectangles({{3, 9, 2, 7}, {20, 33, 11, 38}}, 41);
    for (bool interlaced : {false, true}) {
      const LabelMap back = io::decodeGifLuminance(gifOf(mask, interlaced), "test.gif");
      QCOMPARE(back.width, 41);
      for (size_t p = 0; p < mask.pixels.size(); ++p)
        QCOMPARE(int(back.pixels[p]), mask.pixels[p] ? 255 : 0);
    }
    auto truncated = gifOf(mask, false);
    truncated.resize(truncated.size() / 2);
    CFX_EXPECT_ERROR_OF(io::IoError, io::decodeGifLuminance(truncated, "cut.gif"), "cut.gif",
                        "ends too early");
    CFX_EXPECT_ERROR_OF(io::IoError, io::decodeGifLuminance({'G', 'I', 'F'}, "x.gif"), "x.gif");
  }

  // JSRT: 12-bit big-endian raw images (film density: inverted here), SCR's GIF masks at half
  // the resolution, the clinical lists for sex and age.
  void jsrtImports() {
    const fs::path root = path("jsrt");
    std::vector<unsigned char> raw(2048 * 2048 * 2);
    for (size_t p = 0; p < 2048 * 2048; ++p) {
      const int value = int(p % 2048) * 4095 / 2047;  // darker towards the right
      raw[2 * p] = std::uint8_t(value >> 8), raw[2 * p + 1] = std::uint8_t(value & 255);
    }
    for (const char* name : {"JPCLN001", "JPCNN002"})
      writeBytes(root / "images" / (std::string(name) + ".IMG"), raw);
    writeBytes(root / "images/JPCNN003.IMG", std::vector<unsigned char>(1000, 0));  // truncated
    const std::map<std::string, LabelMap> masks = {
        {"right lung", rectangles({{96, 400, 192, 800}}, 1024)},
        {"left lung", rectangles({{608, 896, 192, 800}}, 1024)},
        {"heart", rectangles({{400, 592, 496, 800}}, 1024)}};
    for (const auto& [folder, mask] : masks)
      for (const char* name : {"JPCLN001", "JPCNN002", "JPCNN003"})
        writeBytes(root / "scratch/fold1/masks" / folder / (std::string(name) + ".gif"),
                   gifOf(mask, false));
    writeText(root / "CLNDAT_EN.txt", "JPCLN001.IMG\t3\t15\t54\tmale\t1634\t692\tmalignant\n");
    writeText(root / "CNNDAT_EN.txt", "JPCNN002.IMG\t62\tfemale\tnon-nodule\n");
    data::JsrtLayout layout;
    layout.images = (root / "images").string();
    layout.masks = (root / "scratch").string();
    layout.clinicalLists = {(root / "CLNDAT_EN.txt").string(), (root / "CNNDAT_EN.txt").string()};
    data::ImportOptions options;
    options.outDir = path("out-jsrt");
    options.size = 64;
    options.valFraction = 0.5;
    QuietMonitor monitor;
    const auto summary = data::writeImportedDataset(data::scanJsrtLayout(layout), options, monitor);
    QCOMPARE(summary.imported, 2L);
    QCOMPARE(summary.skipped.size(), size_t(1));
    QVERIFY(summary.skipped[0].second.find("JPCNN003.IMG") != std::string::npos);
    QVERIFY(summary.skipped[0].second.find("2048 x 2048") != std::string::npos);
    QCOMPARE(summary.sidesSwapped, 0L);
    const CausalGraph graph = data::loadGraphFile(options.outDir + "/graph.json");
    const auto manifest = data::readManifest(options.outDir + "/manifest.csv", graph);
    const auto& first = manifest.rows[0];  // JPCLN001
    QCOMPARE(first.attributes.at("age"), 54.0);
    QCOMPARE(first.attributes.at("sex"), 1.0);
    QCOMPARE(manifest.rows[1].attributes.at("age"), 62.0);
    QCOMPARE(manifest.rows[1].attributes.at("sex"), 0.0);
    // 304 x 608 of 1024 x 1024: 19 x 38 pixels at 64 px.
    QVERIFY(std::abs(first.attributes.at("right_lung_area") - 100.0 * 19 * 38 / (64 * 64)) < 1e-6);
    QVERIFY(std::abs(first.attributes.at("heart_area") - 100.0 * 12 * 19 / (64 * 64)) < 1e-6);
    int depth = 0;
    const GrayImage image = io::readGrayPng(first.image, &depth);
    QCOMPARE(depth, 16);                                         // 12-bit source
    QVERIFY(image.at(2, 30) > 0.9f && image.at(61, 30) < 0.1f);  // density inverted
  }

  // CheXmask: run-length-encoded masks joined with the images and the data set's metadata.
  void chexmaskImports() {
    try {
      chexmaskImportsBody();
    } catch (const std::exception& e) {
      QFAIL(e.what());
    }
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
  void chexmaskImportsBody() {
    const LabelMap lung = rectangles({{4, 12, 10, 30}}), other = rectangles({{26, 32, 10, 30}});
    QCOMPARE(data::encodeChexmaskRle(rectangles({{1, 3, 0, 1}}, 4)), std::string("2 2"));
    const LabelMap back = data::decodeChexmaskRle(data::encodeChexmaskRle(lung), 40, 40);
    for (size_t p = 0; p < lung.pixels.size(); ++p)
      QCOMPARE(back.pixels[p] != 0, lung.pixels[p] != 0);
    QVERIFY_EXCEPTION_THROWN(data::decodeChexmaskRle("1600 2", 40, 40), std::invalid_argument);
    QVERIFY_EXCEPTION_THROWN(data::decodeChexmaskRle("5", 40, 40), std::invalid_argument);
    QVERIFY_EXCEPTION_THROWN(data::decodeChexmaskRle("5 x", 40, 40), std::invalid_argument);

    const fs::path root = path("chexpert");
    for (int p = 1; p <= 4; ++p) {
      const fs::path study =
          root / "CheXpert-v1.0/train" / ("patient0000" + std::to_string(p)) / "study1";
      fs::create_directories(study);
      io::writeGrayPng((study / "view1_frontal.png").string(), gradient(), 8);
    }
    const std::string r = data::encodeChexmaskRle(lung), l = data::encodeChexmaskRle(other);
    const std::string heart = data::encodeChexmaskRle(rectangles({{14, 24, 20, 30}}));
    writeText(
        root / "CheXpert.csv",
        "ImageID,Dice RCA (Mean),Dice RCA (Max),Landmarks,Left Lung,Right Lung,Heart,Height,Width\n"
        "CheXpert-v1.0/train/patient00001/study1/view1_frontal.jpg,0.9,0.9,x," +
            l + "," + r + "," + heart +
            ",40,40\n"
            "CheXpert-v1.0/train/patient00002/study1/view1_frontal.jpg,0.5,0.6,x," +
            l + "," + r + "," + heart +
            ",40,40\n"
            "CheXpert-v1.0/train/patient00003/study1/view1_frontal.jpg,0.8,0.8,x," +
            l + "," + r +
            ",1599 9,40,40\n"
            "CheXpert-v1.0/train/patient00009/study1/view1_frontal.jpg,0.8,0.8,x," +
            l + "," + r + "," + heart +
            ",40,40\n"
            "CheXpert-v1.0/train/patient00004/study1/view1_frontal.jpg,0.8,0.8,x," +
            l + "," + r + ",,40,40\n");
    writeText(root / "train.csv",
              "Path,Sex,Age,Frontal/Lateral\n"
              "CheXpert-v1.0/train/patient00001/study1/view1_frontal.jpg,Female,68,Frontal\n"
              "CheXpert-v1.0/train/patient00004/study1/view1_frontal.jpg,Male,41,Frontal\n");
    data::ChexmaskLayout layout;
    layout.masksCsv = (root / "CheXpert.csv").string();
    layout.images = root.string();
    layout.metadataFormat = "chexpert";
    layout.metadata = (root / "train.csv").string();
    auto scan = data::scanChexmaskLayout(layout);
    QCOMPARE(scan.cases.size(), size_t(3));  // patient 2 below quality, 9 has no image
    QCOMPARE(scan.skipped.size(), size_t(2));
    QVERIFY(scan.skipped[0].first.find("CheXpert.csv line 3") != std::string::npos);
    QVERIFY(scan.skipped[0].second.find("quality") != std::string::npos);
    QVERIFY(scan.skipped[1].second.find("patient00009") != std::string::npos);
    data::ImportOptions options;
    options.outDir = path("out-chexmask");
    options.size = 40;
    options.valFraction = 0.4;
    QuietMonitor monitor;
    const auto summary = data::writeImportedDataset(scan, options, monitor);
    QCOMPARE(summary.imported, 2L);  // patient 3's heart run leaves the grid
    QVERIFY(summary.skipped.back().first.find("CheXpert.csv line 4") != std::string::npos);
    QVERIFY(summary.skipped.back().second.find("outside") != std::string::npos);
    const CausalGraph graph = data::loadGraphFile(options.outDir + "/graph.json");
    const auto manifest = data::readManifest(options.outDir + "/manifest.csv", graph);
    QCOMPARE(manifest.rows[0].attributes.at("age"), 68.0);
    QCOMPARE(manifest.rows[0].attributes.at("sex"), 0.0);
    QCOMPARE(manifest.rows[0].attributes.at("right_lung_area"), 10.0);
    QCOMPARE(manifest.rows[0].attributes.at("heart_area"), 100.0 * 10 * 10 / 1600);
    QVERIFY(!manifest.rows[1].attributes.count("heart_area"));  // an empty heart: unlabelled
    QCOMPARE(manifest.rows[1].attributes.at("age"), 41.0);
    QVERIFY(centreOf(manifest.rows[0].mask, 1) < centreOf(manifest.rows[0].mask, 2));

    layout.metadataFormat = "padchest";
    CFX_EXPECT_ERROR_OF(io::IoError, data::scanChexmaskLayout(layout), "train.csv", "ImageID");
  }

  void nlmShenzhenStyleImportsOnce() {
    if (!fs::exists(path("out-shenzhen/manifest.csv"))) nlmShenzhenStyleImports();
    if (!fs::exists(path("out-folder/manifest.csv"))) folderLayoutWithPartialMasksAndACsv();
  }
};

QTEST_GUILESS_MAIN(TestDatasetImport)
#include "test_dataset_import.moc"
