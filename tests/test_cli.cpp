#include <unistd.h>
#include <algorithm>
#include <cmath>

#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "commands.h"
#include "counterfactual_fine_tuning.h"
#include "dataset_tensors.h"
#include "dicom_io.h"
#include "manifest.h"
#include "model_bundle.h"
#include "network_scores.h"
#include "phantom_scm.h"
#include "png_io.h"
#include "structure_masks.h"
#include "validation_error.h"

#include <nlohmann/json.hpp>

using cfx::cli::runCfx;
namespace fs = std::filesystem;

namespace {

std::string readText(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

class TestCli : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::string data_;
  std::string path(const char* name) { return dir_.filePath(name).toStdString(); }

  // The phantom set in the `folder` layout: png/ plus one binary mask folder per structure.
  fs::path writeMaskFolders(const char* name) {
    const auto manifest =
        cfx::data::readManifest(data_ + "/manifest.csv", cfx::phantom::PhantomScm::graph());
    const fs::path source = path(name);
    for (const char* d : {"png", "heart", "right", "left"}) fs::create_directories(source / d);
    for (const auto& row : manifest.rows) {
      fs::copy_file(row.image, source / "png" / (row.id + ".png"));
      const cfx::LabelMap labels = cfx::io::readLabelPng(row.mask);
      for (const auto& [dir, label] :
           std::vector<std::pair<std::string, int>>{{"right", 1}, {"left", 2}, {"heart", 3}}) {
        cfx::LabelMap mask(labels.width, labels.height, 0);
        for (size_t p = 0; p < labels.pixels.size(); ++p)
          mask.pixels[p] = labels.pixels[p] == label ? 255 : 0;
        cfx::io::writeLabelPng((source / dir / (row.id + ".png")).string(), mask);
      }
    }
    return source;
  }

 private Q_SLOTS:
  void initTestCase() {
    data_ = path("phantom");
    QCOMPARE(runCfx({"phantom", "--out", data_, "--count", "20", "--size", "64", "--seed", "5",
                     "--threads", "2"}),
             0);
  }

  void generatedDataSetIsCompleteAndConsistent() {
    for (const char* f : {"manifest.csv", "exogenous.bin", "graph.json", "phantom.json"})
      QVERIFY(fs::exists(data_ + "/" + f));
    QVERIFY(!fs::exists(data_ + ".partial-" + std::to_string(::getpid())));
    const auto manifest =
        cfx::data::readManifest(data_ + "/manifest.csv", cfx::phantom::PhantomScm::graph());
    QCOMPARE(manifest.rows.size(), size_t(20));
    QCOMPARE(manifest.split("train").size(), size_t(16));
    QCOMPARE(manifest.split("test").size(), size_t(2));
    for (const auto& row : manifest.rows) {
      const auto labels = cfx::io::readLabelPng(row.mask);
      QCOMPARE(labels.width, 64);
      const double heart = cfx::phantom::labelArea(labels, cfx::phantom::kHeart);
      QVERIFY(std::abs(heart - row.attributes.at("heart_area")) <=
              0.01 * row.attributes.at("heart_area"));
      int bits = 0;
      cfx::io::readGrayPng(row.image, &bits);
      QCOMPARE(bits, 16);
    }
  }

  void sameSeedGivesSameBytes() {
    const std::string again = path("again");
    QCOMPARE(runCfx({"phantom", "--out", again, "--count", "20", "--size", "64", "--seed", "5",
                     "--threads", "1"}),
             0);
    for (const char* f :
         {"manifest.csv", "exogenous.bin", "images/s000013.png", "masks/s000013.png"}) {
      std::ifstream a(data_ + "/" + f, std::ios::binary), b(again + "/" + f, std::ios::binary);
      const std::string sa((std::istreambuf_iterator<char>(a)), {}),
          sb((std::istreambuf_iterator<char>(b)), {});
      QVERIFY2(!sa.empty() && sa == sb, f);
    }
  }

  void dataCheckMeasuresMaskAreas() {
    QCOMPARE(runCfx({"data", "check", "--data", data_}), 0);
    // A manifest whose area disagrees with its mask by 1 % fails the check.
    const std::string copy = path("tampered");
    fs::copy(data_, copy, fs::copy_options::recursive);
    const auto graph = cfx::phantom::PhantomScm::graph();
    auto manifest = cfx::data::readManifest(copy + "/manifest.csv", graph);
    manifest.rows[2].attributes["left_lung_area"] *= 1.01;
    cfx::data::writeManifest(copy + "/manifest.csv", manifest.rows, graph);
    QCOMPARE(runCfx({"data", "check", "--data", copy}), 1);
    QCOMPARE(runCfx({"data", "check", "--data", path("nowhere")}), 1);
    QCOMPARE(runCfx({"data"}), 2);
  }

  // The importer from the command line: a folder of PNGs with per-structure masks taken from a
  // phantom data set's label maps, merged with itself under another name, checked; bad layouts
  // and options are refused with a message; a PNG becomes a DICOM study with sex and age.
  void dataImportCommands() {
    const auto graph = cfx::phantom::PhantomScm::graph();
    const auto manifest = cfx::data::readManifest(data_ + "/manifest.csv", graph);
    const fs::path source = writeMaskFolders("layout");
    const std::string imported = path("imported");
    QCOMPARE(
        runCfx({"data", "import", "folder", (source / "png").string(), "--mask",
                "heart_area=" + (source / "heart").string(), "--mask",
                "right_lung_area=" + (source / "right").string(), "--mask",
                "left_lung_area=" + (source / "left").string(), "--out", imported, "--size", "64"}),
        0);
    QCOMPARE(runCfx({"data", "check", "--data", imported, "--tolerance", "0.0001"}), 0);
    const auto importedGraph = cfx::data::loadGraphFile(imported + "/graph.json");
    const auto back = cfx::data::readManifest(imported + "/manifest.csv", importedGraph);
    QCOMPARE(back.rows.size(), manifest.rows.size());
    // The same masks give the phantom's areas (its masks match them to a pixel at 64 px).
    for (const auto& row : back.rows) {
      const auto original = std::find_if(manifest.rows.begin(), manifest.rows.end(),
                                         [&](const auto& r) { return r.id == row.id; });
      QVERIFY(std::abs(row.attributes.at("heart_area") - original->attributes.at("heart_area")) <
              0.05);  // 2 pixels
    }
    QVERIFY(fs::exists(imported + "/import_report.png"));
    const std::string copy = path("imported-again");
    fs::copy(imported, copy, fs::copy_options::recursive);
    QCOMPARE(runCfx({"data", "merge", imported, copy, "--out", path("merged")}), 0);
    QCOMPARE(cfx::data::readManifest(path("merged") + "/manifest.csv",
                                     cfx::data::loadGraphFile(path("merged") + "/graph.json"))
                 .rows.size(),
             2 * manifest.rows.size());
    QCOMPARE(runCfx({"data", "import", "zip", (source / "png").string(), "--out", path("x")}), 2);
    QCOMPARE(runCfx({"data", "import", "folder", (source / "png").string(), "--mask",
                     "liver=" + (source / "heart").string(), "--out", path("x")}),
             2);
    QCOMPARE(runCfx({"data", "import", "nlm-tb", (source / "png").string(), "--out", path("x")}),
             1);
    QVERIFY(!fs::exists(path("x") + "/manifest.csv"));

    const std::string dicom = path("study.dcm");
    QCOMPARE(runCfx({"data", "to-dicom", "--image", manifest.rows[0].image, "--out", dicom, "--sex",
                     "F", "--age", "57"}),
             0);
    const auto study = cfx::io::readDicom(dicom);
    QCOMPARE(*study.metadata.patientSex, 'F');
    QCOMPARE(*study.metadata.patientAgeYears, 57.0);
    QCOMPARE(study.image.width, 64);
    QCOMPARE(runCfx({"data", "to-dicom", "--image", manifest.rows[0].image, "--out",
                     manifest.rows[0].image}),
             2);
  }

  void refusesToOverwrite() {
    QCOMPARE(runCfx({"phantom", "--out", data_, "--count", "2"}), 1);
    QVERIFY(fs::exists(data_ + "/manifest.csv"));
  }

  void usageErrors() {
    QCOMPARE(runCfx({}), 2);
    QCOMPARE(runCfx({"nonsense"}), 2);
    QCOMPARE(runCfx({"phantom", "--count", "3"}), 2);                         // --out missing
    QCOMPARE(runCfx({"phantom", "--out", path("x"), "--count", "many"}), 2);  // not a number
    QCOMPARE(runCfx({"phantom", "--out", path("x"), "--count", "3", "--colour", "red"}), 2);
    QCOMPARE(runCfx({"phantom", "--help"}), 0);
    QCOMPARE(runCfx({"phantom", "counterfactual", "--help"}), 0);
    QVERIFY(!fs::exists(path("x")));
  }

  void trueCounterfactual() {
    const std::string out = path("cf.png"), mask = path("cf_mask.png");
    QCOMPARE(runCfx({"phantom", "counterfactual", "--data", data_, "--id", "s000004", "--do",
                     "left_lung_area=-20%", "--out", out, "--mask-out", mask}),
             0);
    const auto manifest =
        cfx::data::readManifest(data_ + "/manifest.csv", cfx::phantom::PhantomScm::graph());
    const double observed = manifest.rows[4].attributes.at("left_lung_area");
    const double measured =
        cfx::phantom::labelArea(cfx::io::readLabelPng(mask), cfx::phantom::kLeftLung);
    QVERIFY(std::abs(measured - 0.8 * observed) <= 0.01 * observed);
    // The right lung is no descendant of the left: its mask is the factual one, pixel for pixel.
    const auto factualMask = cfx::io::readLabelPng(manifest.rows[4].mask);
    QCOMPARE(cfx::phantom::labelArea(cfx::io::readLabelPng(mask), cfx::phantom::kRightLung),
             cfx::phantom::labelArea(factualMask, cfx::phantom::kRightLung));

    const std::string dcm = path("cf.dcm");
    QCOMPARE(runCfx({"phantom", "counterfactual", "--data", data_, "--id", "s000004", "--do",
                     "age=80", "--do", "sex=M", "--out", dcm}),
             0);
    const auto back = cfx::io::readDicom(dcm);
    QCOMPARE(*back.metadata.patientAgeYears, 80.0);
    QCOMPARE(*back.metadata.patientSex, 'M');
  }

  void counterfactualErrors() {
    const std::string out = path("bad.png");
    QCOMPARE(runCfx({"phantom", "counterfactual", "--data", data_, "--id", "nobody", "--do",
                     "age=50", "--out", out}),
             1);
    QCOMPARE(runCfx({"phantom", "counterfactual", "--data", data_, "--id", "s000001", "--do",
                     "weight=50", "--out", out}),
             1);
    QCOMPARE(runCfx({"phantom", "counterfactual", "--data", data_, "--id", "s000001", "--do",
                     "heart_area=40", "--out", out}),
             1);
    QCOMPARE(runCfx({"phantom", "counterfactual", "--data", data_, "--id", "s000001", "--do",
                     "heart_area=40", "--clamp", "--out", out}),
             0);
    QCOMPARE(runCfx({"phantom", "counterfactual", "--data", path("nowhere"), "--id", "s1", "--out",
                     out}),
             1);
  }

  void trainAndEvaluateScm() {
    const std::string model = path("model");
    // --threads auto, as `cfx train all` passes it by default (the SCM stage once refused it).
    QCOMPARE(runCfx({"train", "scm", "--data", data_, "--out", model, "--steps", "30", "--batch",
                     "16", "--hidden", "4", "--threads", "auto"}),
             0);
    QVERIFY(fs::exists(model + "/model.json"));
    QVERIFY(fs::exists(model + "/scm.safetensors"));
    QVERIFY(fs::exists(model + "/runs/scm/metrics.jsonl"));
    const std::string report = path("scm_report.json");
    QCOMPARE(runCfx({"evaluate", "scm", "--model", model, "--data", data_, "--interventions", "50",
                     "--report", report}),
             0);
    std::ifstream in(report);
    const auto json = nlohmann::json::parse(in);
    QCOMPARE(json["max_non_descendant_change"].get<double>(), 0.0);
    QVERIFY(json["variables"].contains("left_lung_area"));
    // A model folder without an SCM, and an unknown stage, are clear errors.
    QCOMPARE(runCfx({"evaluate", "scm", "--model", path("nowhere"), "--data", data_}), 1);
    QCOMPARE(runCfx({"train", "hvae-of-doom"}), 2);
    QCOMPARE(runCfx({"train", "scm", "--data", data_, "--out", model, "--flow", "glow"}), 1);
  }

  void trainAndEvaluateImageNetworks() {
    const std::string model = path("networks");
    QCOMPARE(runCfx({"train", "segmentor", "--data", data_, "--out", model, "--steps", "4",
                     "--batch", "2", "--width", "4", "--depth", "3", "--threads", "1"}),
             0);
    QCOMPARE(runCfx({"train",   "segmentor", "--data",      data_,
                     "--out",   model,       "--component", "eval_segmentor",
                     "--steps", "2",         "--batch",     "2",
                     "--width", "4",         "--depth",     "2",
                     "--seed",  "1",         "--threads",   "1"}),
             0);
    QCOMPARE(runCfx({"train", "predictors", "--data", data_, "--out", model, "--steps", "3",
                     "--batch", "2", "--width", "4", "--depth", "2", "--threads", "1"}),
             0);
    for (const char* c : {"segmentor", "eval_segmentor", "predictors"})
      QVERIFY(cfx::ModelBundle::hasComponent(model, c));
    {
      // The stored validation scores: a mean signed error can never exceed the mean absolute one.
      std::ifstream in(model + "/model.json");
      const auto validation =
          nlohmann::json::parse(in)["components"]["segmentor"]["provenance"]["validation"];
      QCOMPARE(int(validation.size()), 3);
      for (const auto& [name, scores] : validation.items()) {
        const double bias = scores.at("soft_area_bias").get<double>();
        const double mae = scores.at("soft_area_mae").get<double>();
        QVERIFY2(std::isfinite(bias) && std::abs(bias) <= mae + 1e-9, name.c_str());
      }
    }
    QCOMPARE(runCfx({"evaluate", "segmentor", "--model", model, "--data", data_, "--split", "all",
                     "--threads", "1"}),
             0);
    QCOMPARE(runCfx({"evaluate", "segmentor", "--model", model, "--data", data_, "--component",
                     "eval_segmentor"}),
             0);
    QCOMPARE(runCfx({"evaluate", "predictors", "--model", model, "--data", data_}), 0);
    // A data set without the heart (lungs only, like Shenzhen's) scores the lungs and reports
    // the heart as unlabelled instead of reading a column its graph lacks.
    const fs::path source = writeMaskFolders("lungs-layout");
    const std::string lungs = path("lungs-only");
    QCOMPARE(
        runCfx({"data", "import", "folder", (source / "png").string(), "--mask",
                "right_lung_area=" + (source / "right").string(), "--mask",
                "left_lung_area=" + (source / "left").string(), "--out", lungs, "--size", "64"}),
        0);
    QVERIFY(!cfx::data::loadGraphFile(lungs + "/graph.json").indexOf("heart_area"));
    QCOMPARE(runCfx({"evaluate", "segmentor", "--model", model, "--data", lungs, "--split", "all",
                     "--threads", "1"}),
             0);
    {
      // Every labelled image's Dice, whose mean per structure is the table's Dice; the lowest are
      // named by their ids (where a mislabelled mask shows first).
      const std::string csvPath = path("per-image.csv");
      const std::string table =
          cfx::evaluation::evaluateSegmentor(model, "segmentor", lungs, "all", csvPath);
      const auto graph = cfx::data::loadGraphFile(lungs + "/graph.json");
      const auto manifest = cfx::data::readManifest(lungs + "/manifest.csv", graph);
      std::ifstream csv(csvPath);
      std::string line;
      std::getline(csv, line);
      QCOMPARE(line, std::string("id,structure,dice,recorded_area,soft_area"));
      std::map<std::string, std::pair<double, int>> sums;
      std::map<std::string, double> areaErrors;
      std::map<std::string, std::pair<double, std::string>> lowest;
      while (std::getline(csv, line)) {
        std::vector<std::string> fields;
        std::istringstream fieldStream(line);
        for (std::string field; std::getline(fieldStream, field, ',');) fields.push_back(field);
        QCOMPARE(int(fields.size()), 5);
        const std::string& id = fields[0];
        const auto row = std::find_if(manifest.rows.begin(), manifest.rows.end(),
                                      [&](const auto& r) { return r.id == id; });
        QVERIFY2(row != manifest.rows.end(), line.c_str());
        const double dice = std::stod(fields[2]);
        QVERIFY(dice >= 0 && dice <= 1);
        const std::string& structure = fields[1];
        // The recorded area is the manifest's, the soft area the segmentor's reading.
        QVERIFY2(std::abs(std::stod(fields[3]) - row->attributes.at(structure)) < 1e-4,
                 line.c_str());
        areaErrors[structure] += std::abs(std::stod(fields[4]) - std::stod(fields[3]));
        auto& [sum, count] = sums[structure];
        sum += dice, ++count;
        if (!lowest.count(structure) || dice < lowest[structure].first)
          lowest[structure] = {dice, id};
      }
      QCOMPARE(int(sums.size()), 2);  // the heart is labelled nowhere: no rows
      for (const auto& [name, sum] : sums) {
        QCOMPARE(sum.second, int(manifest.rows.size()));
        const auto at = table.find("\n" + name + " ");
        QVERIFY2(at != std::string::npos, table.c_str());
        std::istringstream row(table.substr(at + 1));
        std::string structure;
        long labelled = 0;
        double tableDice = 0;
        double tableSoftMae = 0;
        row >> structure >> labelled >> tableDice >> tableSoftMae;
        QVERIFY2(std::abs(sum.first / sum.second - tableDice) < 1e-4, table.c_str());
        QVERIFY2(std::abs(areaErrors[name] / sum.second - tableSoftMae) < 2e-3, table.c_str());
      }
      const auto lowestSection = table.find("lowest Dice");
      QVERIFY2(lowestSection != std::string::npos, table.c_str());
      for (const auto& [name, worst] : lowest) {
        const auto at = table.find("\n" + name + " ", lowestSection);
        QVERIFY2(at != std::string::npos, table.c_str());
        const std::string row = table.substr(at + 1, table.find('\n', at + 1) - at - 1);
        QVERIFY2(row.find(" " + worst.second + " ") != std::string::npos, row.c_str());
      }
    }
    QCOMPARE(runCfx({"evaluate", "predictors", "--model", model, "--data", lungs, "--split", "all",
                     "--threads", "1"}),
             0);
    // An image size the U-Net cannot halve that often is refused before any training.
    QCOMPARE(runCfx({"train", "segmentor", "--data", data_, "--out", path("odd"), "--size", "36",
                     "--depth", "4"}),
             1);
  }

  void counterfactualOfOneRadiograph() {
    const std::string model = path("full");
    const std::vector<std::string> common = {"--data", data_, "--out", model, "--threads", "1"};
    auto with = [&](std::vector<std::string> head, const std::vector<std::string>& tail) {
      head.insert(head.end(), common.begin(), common.end());
      head.insert(head.end(), tail.begin(), tail.end());
      return head;
    };
    QCOMPARE(runCfx(with({"train", "scm"}, {"--steps", "5", "--hidden", "4"})), 0);
    QCOMPARE(runCfx(with({"train", "segmentor"},
                         {"--steps", "2", "--batch", "2", "--width", "4", "--depth", "3"})),
             0);
    QCOMPARE(runCfx(with({"train", "hvae"},
                         {"--steps", "2", "--batch", "2", "--architecture", "64b1,16b1,4b1,1b1",
                          "--width", "8", "--latents", "2", "--max-latent-resolution", "16"})),
             0);
    // A prior that also sees the parents is recorded with the network.
    const std::string conditioned = path("conditioned");
    QCOMPARE(runCfx({"train",
                     "hvae",
                     "--data",
                     data_,
                     "--out",
                     conditioned,
                     "--threads",
                     "1",
                     "--steps",
                     "1",
                     "--batch",
                     "2",
                     "--architecture",
                     "64b1,16b1,4b1,1b1",
                     "--width",
                     "8",
                     "--latents",
                     "2",
                     "--max-latent-resolution",
                     "16",
                     "--condition-prior",
                     "on"}),
             0);
    QVERIFY(nlohmann::json::parse(readText(
        conditioned + "/model.json"))["components"]["hvae"]["config"]["hvae"]["condition_prior"]
                .get<bool>());
    QCOMPARE(runCfx({"train", "hvae", "--data", data_, "--out", conditioned, "--condition-prior",
                     "maybe"}),
             1);
    const auto manifest =
        cfx::data::readManifest(data_ + "/manifest.csv", cfx::phantom::PhantomScm::graph());
    const std::string out = path("cf_out");
    QCOMPARE(runCfx({"counterfactual", "--model", model, "--image", manifest.rows[0].image,
                     "--attr", "age=60", "--attr", "sex=F", "--do", "left_lung_area=-20%", "--out",
                     out, "--particles", "2", "--threads", "1"}),
             0);
    for (const char* f : {"counterfactual.png", "factual.png", "difference.png", "variance.png",
                          "counterfactual.json"})
      QVERIFY2(fs::exists(out + "/" + f), f);
    QVERIFY(!fs::exists(out + "/counterfactual.dcm"));  // the input was a PNG
    std::ifstream in(out + "/counterfactual.json");
    const auto json = nlohmann::json::parse(in);
    QCOMPARE(json["factual"]["age"].get<double>(), 60.0);
    QVERIFY(std::abs(json["counterfactual"]["left_lung_area"].get<double>() -
                     0.8 * json["factual"]["left_lung_area"].get<double>()) < 1e-3);
    QCOMPARE(json["intervened"][0].get<std::string>(), std::string("left_lung_area"));

    // A DICOM input: age and sex come from its header, and a derived DICOM comes out.
    const std::string dcmData = path("dcm_for_cf");
    QCOMPARE(
        runCfx({"phantom", "--out", dcmData, "--count", "1", "--size", "96", "--format", "dcm"}),
        0);
    const auto dcmManifest =
        cfx::data::readManifest(dcmData + "/manifest.csv", cfx::phantom::PhantomScm::graph());
    const std::string dcmOut = path("cf_dcm");
    QCOMPARE(runCfx({"counterfactual", "--model", model, "--image", dcmManifest.rows[0].image,
                     "--do", "age=80", "--out", dcmOut, "--threads", "1"}),
             0);
    const auto derived = cfx::io::readDicom(dcmOut + "/counterfactual.dcm");
    QCOMPARE(*derived.metadata.patientAgeYears, 80.0);
    QCOMPARE(derived.metadata.dicom->patientId, std::string("s000000"));
    // The 96-pixel input keeps its size and spacing; the model's 64-pixel image is written too.
    const auto original = cfx::io::readDicom(dcmManifest.rows[0].image);
    QCOMPARE(derived.image.width, 96);
    QCOMPARE(derived.image.height, 96);
    QCOMPARE(derived.metadata.pixelSpacingMm.has_value(),
             original.metadata.pixelSpacingMm.has_value());
    if (original.metadata.pixelSpacingMm)
      QCOMPARE(*derived.metadata.pixelSpacingMm, *original.metadata.pixelSpacingMm);
    QCOMPARE(cfx::io::readGrayPng(dcmOut + "/counterfactual.png").width, 64);
    const auto inputSize = cfx::io::readGrayPng(dcmOut + "/counterfactual_input_size.png");
    QCOMPARE(inputSize.width, 96);
    std::ifstream dcmSidecar(dcmOut + "/counterfactual.json");
    const auto dcmJson = nlohmann::json::parse(dcmSidecar);
    QCOMPARE(dcmJson["input_size"][0].get<int>(), 96);
    QCOMPARE(dcmJson["model_size"][0].get<int>(), 64);
    QVERIFY(!fs::exists(out + "/counterfactual_input_size.png"));  // that input was 64 pixels
    // Sex and age a PNG does not record: refused without predictors in the model folder ...
    const std::string estimatedOut = path("cf_estimated");
    const std::vector<std::string> withoutAttributes = {
        "counterfactual", "--model",    model,       "--image", manifest.rows[0].image,
        "--out",          estimatedOut, "--threads", "1"};
    QCOMPARE(runCfx(withoutAttributes), 1);
    QVERIFY(!fs::exists(estimatedOut + "/counterfactual.json"));
    // ... and with them estimated from the image, and said so.
    QCOMPARE(runCfx(with({"train", "predictors"},
                         {"--steps", "2", "--batch", "2", "--width", "4", "--depth", "2"})),
             0);
    QCOMPARE(runCfx(withoutAttributes), 0);
    std::ifstream estimatedIn(estimatedOut + "/counterfactual.json");
    const auto estimated = nlohmann::json::parse(estimatedIn);
    QVERIFY(estimated["attribute_sources"].dump().find("age estimated from the image") !=
            std::string::npos);
    const auto& ageRange = cfx::phantom::PhantomScm::graph().variable("age");
    QVERIFY(estimated["factual"]["age"].get<double>() >= ageRange.min &&
            estimated["factual"]["age"].get<double>() <= ageRange.max);
    // Writing onto the input is refused.
    QCOMPARE(runCfx({"counterfactual", "--model", model, "--image", dcmManifest.rows[0].image,
                     "--out", fs::path(dcmManifest.rows[0].image).parent_path().string()}),
             0);  // other file names: the input survives
    QVERIFY(fs::exists(dcmManifest.rows[0].image));

    QCOMPARE(runCfx({"figure", "--model", model, "--data", data_, "--out", path("figure.png"),
                     "--subjects", "1", "--threads", "1"}),
             0);
    QVERIFY(fs::file_size(path("figure.png")) > 1000);
    QCOMPARE(runCfx({"train", "segmentor", "--data", data_, "--out", model, "--component",
                     "eval_segmentor", "--steps", "1", "--batch", "2", "--width", "4", "--depth",
                     "2", "--threads", "1"}),
             0);
    QCOMPARE(runCfx(with({"train", "predictors"},
                         {"--steps", "2", "--batch", "2", "--width", "4", "--depth", "2"})),
             0);
    // Counterfactual fine-tuning writes a complete new model folder and leaves the input alone.
    const auto pretrainedJson = readText(model + "/model.json");
    const std::string tuned = path("tuned");
    QCOMPARE(runCfx({"train",
                     "cft",
                     "--model",
                     model,
                     "--data",
                     data_,
                     "--guidance",
                     "seg",
                     "--locality-weight",
                     "0.1",
                     "--locality-region",
                     "boundary",
                     "--intervention-values",
                     "relative",
                     "--relative-change",
                     "0.05:0.2",
                     "--locality-dilation",
                     "2",
                     "--out",
                     tuned,
                     "--steps",
                     "2",
                     "--batch",
                     "2",
                     "--threads",
                     "1"}),
             0);
    QCOMPARE(readText(model + "/model.json"), pretrainedJson);
    QVERIFY(fs::exists(tuned + "/runs/cft-seg-locality/epsilon.json"));
    const auto tunedJson = nlohmann::json::parse(readText(tuned + "/model.json"));
    const auto& fineTuning = tunedJson["components"]["hvae"]["config"]["fine_tuning"];
    QCOMPARE(fineTuning["guidance"].get<std::string>(), std::string("seg"));
    QVERIFY(std::isfinite(fineTuning["epsilon_nats_per_dim"].get<double>()));
    QCOMPARE(fineTuning["locality_region"].get<std::string>(), std::string("boundary"));
    QCOMPARE(fineTuning["locality_dilation"].get<int>(), 2);
    QCOMPARE(fineTuning["intervention_values"].get<std::string>(), std::string("relative"));
    QCOMPARE(fineTuning["relative_change_max"].get<double>(), 0.2);
    {
      // Each fine-tuning run records the runs its starting weights came from, so a chain of runs
      // (pretraining, then one fine-tuning after another) reads back from the last folder.
      const auto pretrainedHvae = nlohmann::json::parse(pretrainedJson)["components"]["hvae"];
      const auto& first = tunedJson["components"]["hvae"]["provenance"]["started_from"];
      QCOMPARE(int(first.size()), 1);
      QCOMPARE(first[0]["command"], pretrainedHvae["provenance"]["command"]);
      QCOMPARE(first[0]["sha256"], pretrainedHvae["sha256"]);
      QVERIFY(!first[0].contains("fine_tuning"));
      const std::string tunedAgain = path("tuned-again");
      QCOMPARE(runCfx({"train", "cft", "--model", tuned, "--data", data_, "--guidance", "none",
                       "--out", tunedAgain, "--steps", "1", "--batch", "2", "--threads", "1"}),
               0);
      const auto againJson = nlohmann::json::parse(readText(tunedAgain + "/model.json"));
      const auto& chain = againJson["components"]["hvae"]["provenance"]["started_from"];
      QCOMPARE(int(chain.size()), 2);
      QCOMPARE(chain[0], first[0]);
      QCOMPARE(chain[1]["sha256"], tunedJson["components"]["hvae"]["sha256"]);
      QCOMPARE(chain[1]["command"], tunedJson["components"]["hvae"]["provenance"]["command"]);
      QCOMPARE(chain[1]["fine_tuning"]["guidance"].get<std::string>(), std::string("seg"));
      QVERIFY(!chain[1].contains("started_from"));
      QCOMPARE(
          againJson["components"]["hvae"]["config"]["fine_tuning"]["guidance"].get<std::string>(),
          std::string("none"));
    }
    for (const char* change : {"0.3", "0.3:0.1", "0.1:x"})
      QCOMPARE(runCfx({"train", "cft", "--model", model, "--data", data_, "--guidance", "seg",
                       "--intervention-values", "relative", "--relative-change", change, "--out",
                       path("t2")}),
               1);
    QCOMPARE(runCfx({"train", "cft", "--model", model, "--data", data_, "--guidance", "seg",
                     "--locality-weight", "0.1", "--locality-region", "everywhere", "--out",
                     path("t2")}),
             1);
    QCOMPARE(runCfx({"train", "cft", "--model", model, "--data", data_, "--guidance", "magic",
                     "--out", path("t2")}),
             1);
    QCOMPARE(runCfx({"train", "cft", "--model", model, "--data", data_, "--guidance", "seg",
                     "--out", model}),
             1);  // never onto the pretrained model
    // Pos-Seg-CFT with cells fixed in the image stores the mechanism it fitted.
    const std::string gridTuned = path("tuned_grid");
    QCOMPARE(runCfx({"train",      "cft",     "--model",         model,  "--data",        data_,
                     "--guidance", "pos-seg", "--region-layout", "grid", "--region-grid", "4",
                     "--out",      gridTuned, "--steps",         "1",    "--batch",       "2",
                     "--threads",  "1"}),
             0);
    const auto gridJson = nlohmann::json::parse(readText(gridTuned + "/model.json"));
    const auto& gridTuning = gridJson["components"]["hvae"]["config"]["fine_tuning"];
    QCOMPARE(gridTuning["region_layout"].get<std::string>(), std::string("grid"));
    const auto& slopes = gridTuning["regional_mechanism"]["slopes"];
    QCOMPARE(int(slopes.size()), 3);        // structures
    QCOMPARE(int(slopes[0].size()), 16);    // 4 x 4 cells
    QCOMPARE(int(slopes[0][0].size()), 5);  // graph variables
    QCOMPARE(int(gridTuning["regional_mechanism"]["explained_variance"].size()), 3);
    for (const char* grid : {"5", "0"})
      QCOMPARE(runCfx({"train", "cft", "--model", model, "--data", data_, "--guidance", "pos-seg",
                       "--region-layout", "grid", "--region-grid", grid, "--out", path("t2")}),
               grid == std::string("5") ? 1 : 2);  // 64 px do not split into 5; 0 is no count
    QCOMPARE(runCfx({"train", "cft", "--model", model, "--data", data_, "--guidance", "pos-seg",
                     "--region-layout", "rings", "--out", path("t2")}),
             1);
    QCOMPARE(runCfx({"train", "cft", "--model", model, "--data", data_, "--guidance", "seg",
                     "--region-layout", "grid", "--out", path("t2")}),
             1);  // grid regions without pos-seg would be ignored silently
    for (const char* option : {"--area-weight", "--region-weight", "--locality-weight"})
      QCOMPARE(runCfx({"train", "cft", "--model", model, "--data", data_, "--guidance", "seg",
                       option, "-1", "--out", path("t2")}),
               1);
    QCOMPARE(runCfx({"train", "cft", "--model", model, "--data", data_, "--guidance", "seg",
                     "--area-targets", "guessed", "--out", path("t2")}),
             1);
    QCOMPARE(runCfx({"train", "cft", "--model", model, "--data", data_, "--guidance", "seg",
                     "--soft-labels", "maybe", "--out", path("t2")}),
             1);
    QVERIFY(!fs::exists(path("t2") + "/model.json"));

    for (const auto& [folder, report] :
         {std::pair{model, path("report_none")}, std::pair{tuned, path("report_seg")}})
      QCOMPARE(runCfx({"evaluate", "--model", folder, "--data", data_, "--split", "all",
                       "--interventions", "6", "--cycles", "1", "--grid", "2", "--threads", "1",
                       "--out", report}),
               0);
    const auto evaluation = nlohmann::json::parse(readText(path("report_none") + "/metrics.json"));
    QVERIFY(evaluation["composition_l1_1_cycle"].get<double>() < 0.5);  // null is exact
    QVERIFY(evaluation["composition_l1_10_cycles"].get<double>() < 0.5);
    QVERIFY(evaluation["by_intervention"].size() >= 2);
    const std::string html = readText(path("report_seg") + "/report.html");
    QVERIFY(html.find("data:image/png;base64,") != std::string::npos);
    // Every example says in words which intervention it shows, for readers of the page alone.
    QVERIFY(html.find("<figcaption></figcaption>") == std::string::npos);
    QVERIFY(html.find("<figcaption>Subject ") != std::string::npos);
    QVERIFY(html.find(", true counterfactual rendered by the phantom, its difference from the "
                      "original (same colour scale).</figcaption>") != std::string::npos);
    QVERIFY(html.find("<svg") != std::string::npos || evaluation["by_intervention"].size() < 5);
    QCOMPARE(
        runCfx({"compare", path("report_none"), path("report_seg"), "--out", path("compare.md")}),
        0);
    const std::string table = readText(path("compare.md"));
    QVERIFY(table.find("tuned (seg)") != std::string::npos);
    // The HVAE's fit is reported with the model, so fine-tuning's cost in NELBO is in the table.
    const double nelbo = evaluation["image_nelbo_bits_per_dim"].get<double>();
    QVERIFY(std::isfinite(nelbo) && nelbo > 0);
    QVERIFY(table.find("NELBO bits/dim") != std::string::npos);
    // Structure columns follow the graph's order, not the alphabet.
    std::vector<size_t> positions;
    std::vector<std::string> structureOrder;
    for (const auto& name : evaluation["variables"])
      if (evaluation["by_intervention"].contains(name) &&
          evaluation["by_intervention"][name].contains("locality")) {
        positions.push_back(table.find(name.get<std::string>() + " MAPE"));
        structureOrder.push_back(name.get<std::string>());
      }
    QVERIFY(std::is_sorted(positions.begin(), positions.end()));
    QVERIFY(!positions.empty() && positions.back() != std::string::npos);
    QCOMPARE(runCfx({"compare", path("nowhere")}), 1);
    // On phantom data the table ends with two references: the unedited input (no change outside
    // R, its own distance to the truth) and the true counterfactual (distance 0 to itself).
    const std::string first = structureOrder.front();
    const auto& locality = evaluation["by_intervention"][first]["locality"];
    QVERIFY(locality["true_counterfactual_outside_l1"].get<double>() >= 0);
    const auto input = table.find("| reference: unedited input |");
    const auto truthRow = table.find("| reference: true counterfactual |");
    QVERIFY(input != std::string::npos && truthRow != std::string::npos && input < truthRow);
    char inputToTruth[32];
    std::snprintf(inputToTruth, sizeof inputToTruth, " %.3f |",
                  evaluation["by_intervention"][first]["truth"]["input_to_truth_l1"].get<double>());
    QVERIFY(table.substr(input, truthRow - input).find(inputToTruth) != std::string::npos);
    QVERIFY(table.substr(input, truthRow - input).find(" 0.000 |") != std::string::npos);
    // Their MAPE columns: the input's distance from the target, and the floor the evaluation
    // segmentor sets by measuring the true counterfactual.
    const auto& truthOfFirst = evaluation["by_intervention"][first]["truth"];
    for (const auto& [key, begin, end] :
         {std::tuple{"input_mape", input, truthRow},
          std::tuple{"true_counterfactual_mape", truthRow, table.size()}}) {
      const double mape = truthOfFirst[key].get<double>();
      QVERIFY(std::isfinite(mape) && mape >= 0);
      char formatted[32];
      std::snprintf(formatted, sizeof formatted, "| %.2f |", 100 * mape);
      QVERIFY2(table.substr(begin, end - begin).find(formatted) != std::string::npos, key);
    }
    // Every intervened area is also scored against the evaluation segmentor's own reading of the
    // input (real films have no truth), next to what no edit and the measurement itself score.
    for (const auto& name : structureOrder) {
      const auto& own = evaluation["by_intervention"][name]["measured"][name];
      for (const char* key : {"mape_of_change", "input_mape", "measurement_mape"})
        QVERIFY2(own[key].is_number() && own[key].get<double>() >= 0, key);
      QCOMPARE(own["input_mape"].get<double>(),
               evaluation["by_intervention"][name]["truth"]["input_mape"].get<double>());
      QVERIFY(table.find(name + " MAPE of change %") != std::string::npos);
    }
    // The graph lets do(heart) move the left lung and nothing else: only the heart's locality
    // names a descendant, and only it gets the column of change beyond its descendants.
    for (const auto& name : structureOrder) {
      const auto& named = evaluation["by_intervention"][name]["locality"]["descendant_structures"];
      const bool heart = name == "heart_area";
      QCOMPARE(named.size(), size_t(heart ? 1 : 0));
      if (heart) QCOMPARE(named[0].get<std::string>(), std::string("left_lung_area"));
      QCOMPARE(table.find(name + " outside R+descendants L1") != std::string::npos, heart);
    }

    // Every stage in order; a second run finds everything done and trains nothing.
    const std::string all = path("all");
    const std::vector<std::string> trainAll = {
        "train",         "all",    "--data", data_,       "--out", all,
        "--steps-scale", "0.0001", "--tiny", "--threads", "1"};
    QCOMPARE(runCfx(trainAll), 0);
    for (const char* c : {"segmentor", "eval_segmentor", "predictors", "scm", "hvae"})
      QVERIFY(cfx::ModelBundle::hasComponent(all + "-pretrained", c));
    // The defaults are the bundled model's recipe: every fine-tuning setting and the training
    // options it records, all but what was measured or fitted on the data.
    const auto allHvae = nlohmann::json::parse(readText(all + "/model.json"))["components"]["hvae"];
    const auto bundledHvae = nlohmann::json::parse(
        readText(CFX_SOURCE_DIR "/models/phantom/model.json"))["components"]["hvae"];
    // Both read as a fine-tuning config: a setting added after the bundled model was trained
    // takes the value the loader gives it (what that model was trained with).
    const auto asLoaded = [](const nlohmann::json& json) {
      auto normalised = cfx::CftConfig::fromJson(json, "model.json").toJson();
      normalised["regional_mechanism"] = json["regional_mechanism"];
      return normalised;
    };
    auto allTuning = asLoaded(allHvae["config"]["fine_tuning"]),
         bundledTuning = asLoaded(bundledHvae["config"]["fine_tuning"]);
    QCOMPARE(allTuning["regional_mechanism"]["grid"], bundledTuning["regional_mechanism"]["grid"]);
    for (const char* fitted : {"epsilon_nats_per_dim", "final_lambda", "regional_mechanism"})
      allTuning.erase(fitted), bundledTuning.erase(fitted);
    QCOMPARE(QString::fromStdString(allTuning.dump()),
             QString::fromStdString(bundledTuning.dump()));
    auto allTraining = allHvae["provenance"]["training"],
         bundledTraining = bundledHvae["provenance"]["training"];
    for (const char* scaled : {"steps", "checkpoint_every", "validate_every", "warmup_steps"})
      allTraining.erase(scaled), bundledTraining.erase(scaled);
    QCOMPARE(QString::fromStdString(allTraining.dump()),
             QString::fromStdString(bundledTraining.dump()));
    QCOMPARE(allHvae["provenance"]["batch"], bundledHvae["provenance"]["batch"]);
    const auto stamp = fs::last_write_time(all + "/model.json");
    QCOMPARE(runCfx(trainAll), 0);
    QVERIFY(fs::last_write_time(all + "/model.json") == stamp);
    QCOMPARE(
        runCfx({"bench", "--sizes", "16", "--repeats", "1", "--devices", "cpu", "--threads", "1"}),
        0);
    // A model folder's own networks, and the same figures again beside a busy process.
    QCOMPARE(runCfx({"bench", "--model", all, "--repeats", "1", "--batch", "2", "--devices", "cpu",
                     "--precisions", "fp32", "--load", "1"}),
             0);
    QCOMPARE(
        runCfx({"bench", "--architecture", "16b1,4b1,1b1", "--width", "8", "--latent-channels", "2",
                "--repeats", "1", "--batch", "0", "--devices", "cpu", "--precisions", "fp32"}),
        0);
    QCOMPARE(runCfx({"bench", "--sizes", "12"}), 2);
    QVERIFY(runCfx({"bench", "--architecture", "16b1,4b1", "--devices", "cpu"}) != 0);
    QCOMPARE(runCfx({"bench", "--threads", "none", "--devices", "cpu"}), 2);
  }

  void dicomDataSetAndGallery() {
    const std::string dcm = path("dcm");
    QCOMPARE(runCfx({"phantom", "--out", dcm, "--count", "3", "--size", "48", "--format", "dcm"}),
             0);
    const auto manifest =
        cfx::data::readManifest(dcm + "/manifest.csv", cfx::phantom::PhantomScm::graph());
    const auto image = cfx::io::readDicom(manifest.rows[0].image);
    QCOMPARE(image.image.width, 48);
    QVERIFY(std::abs(*image.metadata.patientAgeYears -
                     std::floor(manifest.rows[0].attributes.at("age"))) < 1e-9);

    const std::string gallery = path("gallery.png");
    QCOMPARE(runCfx({"phantom", "gallery", "--data", data_, "--out", gallery, "--subjects", "5"}),
             0);
    QVERIFY_EXCEPTION_THROWN(cfx::io::readGrayPng(gallery), cfx::ValidationError);  // it is colour
    QVERIFY(fs::file_size(gallery) > 10000);
  }
};

QTEST_APPLESS_MAIN(TestCli)
#include "test_cli.moc"
