#include <QTemporaryDir>
#include <QtTest>
#include <fstream>

#include "manifest.h"
#include "phantom_scm.h"
#include "png_io.h"
#include "test_helpers.h"

using namespace cfx;

class TestManifest : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  CausalGraph graph_ = phantom::PhantomScm::graph();

  std::string write(const char* name, const std::string& text) {
    const std::string path = dir_.filePath(name).toStdString();
    std::ofstream(path) << text;
    return path;
  }

 private Q_SLOTS:
  void initTestCase() {
    std::filesystem::create_directories(dir_.filePath("images").toStdString());
    for (const char* n : {"images/a.png", "images/b.png", "images/c d.png"})
      io::writeGrayPng(dir_.filePath(n).toStdString(), GrayImage(4, 4, 0.5f), 8);
  }

  void readsAValidManifest() {
    const auto path =
        write("ok.csv",
              "id,image,mask,split,sex,age,heart_area,right_lung_area,left_lung_area\n"
              "a,images/a.png,,train,F,63,9.5,17.25,15\n"
              "b,images/b.png,,test,1,40,8,18,16\n"
              "c,\"images/c d.png\",,val,M,70,10,16,14\n");
    const auto manifest = data::readManifest(path, graph_);
    QCOMPARE(manifest.rows.size(), size_t(3));
    QCOMPARE(manifest.rows[0].attributes.at("sex"), 0.0);
    QCOMPARE(manifest.rows[0].attributes.at("right_lung_area"), 17.25);
    QCOMPARE(manifest.rows[2].attributes.at("sex"), 1.0);
    QVERIFY(manifest.rows[2].image.find("c d.png") != std::string::npos);
    QCOMPARE(manifest.split("test").size(), size_t(1));
    QCOMPARE(manifest.split("all").size(), size_t(3));
    QCOMPARE(manifest.rows[1].line, 3);
  }

  void writeThenReadRoundTrip() {
    data::ManifestRow row;
    row.id = "a";
    row.image = dir_.filePath("images/a.png").toStdString();
    row.split = "train";
    // Values inside the graph's ranges, with more digits than a float keeps.
    const auto value = [](const Variable& v) {
      return v.name == "sex" ? 1.0 : std::floor((v.min + v.max) / 2) + 0.3456789;
    };
    for (const auto& v : graph_.variables()) row.attributes[v.name] = value(v);
    const std::string path = dir_.filePath("written.csv").toStdString();
    data::writeManifest(path, {row}, graph_);
    const auto back = data::readManifest(path, graph_);
    // 10 significant digits are kept.
    QCOMPARE(back.rows[0].attributes.at("age"), value(graph_.variable("age")));
    QCOMPARE(back.rows[0].image, row.image);
  }

  void missingAndUnknownColumns() {
    const auto missing =
        write("missing.csv",
              "id,image,split,sex,age,heart_area,right_lung_area\na,images/a.png,train,0,1,2,3\n");
    CFX_EXPECT_ERROR(data::readManifest(missing, graph_), "missing.csv",
                     "missing column 'left_lung_area'");
    const auto unknown =
        write("unknown.csv",
              "id,image,split,sex,age,hart_area,heart_area,right_lung_area,left_lung_area\n");
    CFX_EXPECT_ERROR(data::readManifest(unknown, graph_), "unknown.csv", "column 6",
                     "unknown column 'hart_area'");
  }

  void reportsEveryBadRowWithItsLine() {
    const auto path =
        write("bad.csv",
              "id,image,mask,split,sex,age,heart_area,right_lung_area,left_lung_area\n"
              "a,images/a.png,,train,F,63,nan,17,15\n"
              "b,images/missing.png,,train,F,63,9,17,15\n"
              "c,images/b.png,,holdout,F,63,9,17,15\n"
              "a,images/b.png,,train,X,63,9,17,15\n"
              "e,images/b.png,,train,F,63,9,17\n"
              "f,images/b.png,,train,F,63,9,inf,15\n");
    CFX_EXPECT_ERROR(data::readManifest(path, graph_), "bad.csv", "7 problem(s) in 6 row(s)",
                     "line 2: heart_area = 'nan'", "line 3: image file not found",
                     "line 4: split 'holdout'", "line 5: duplicate id 'a'", "line 5: sex = 'X'",
                     "line 6: 8 fields, expected 9", "line 7: right_lung_area = 'inf'");
  }

  void emptyFile() {
    CFX_EXPECT_ERROR(data::readManifest(write("empty.csv", ""), graph_), "empty.csv", "header");
    CFX_EXPECT_ERROR(data::readManifest(dir_.filePath("none.csv").toStdString(), graph_),
                     "none.csv", "cannot read");
  }
};

QTEST_APPLESS_MAIN(TestManifest)
#include "test_manifest.moc"
