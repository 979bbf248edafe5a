#include <QTemporaryDir>
#include <QtTest>
#include <fstream>

#include "exogenous_store.h"
#include "phantom_subject.h"
#include "random_stream.h"
#include "structure_masks.h"
#include "validation_error.h"

using namespace cfx::phantom;

namespace {

constexpr int kSize = 128;
const char* const kStructures[] = {"right_lung_area", "left_lung_area", "heart_area"};

Exogenous subjectNoise(const PhantomScm& scm, int i) {
  return scm.sampleExogenous(RandomStream::derive(11, i));
}

// Pixels within `radius` (Chebyshev) of any pixel where `mask` is set.
std::vector<char> dilate(const std::vector<char>& mask, int size, int radius) {
  std::vector<char> out(mask.size(), 0);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      if (!mask[size_t(y) * size + x]) continue;
      for (int dy = -radius; dy <= radius; ++dy)
        for (int dx = -radius; dx <= radius; ++dx) {
          const int xx = x + dx, yy = y + dy;
          if (xx >= 0 && yy >= 0 && xx < size && yy < size) out[size_t(yy) * size + xx] = 1;
        }
    }
  return out;
}

}  // namespace

class TestPhantom : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void sameSeedSameBytes() {
    const PhantomScm scm;
    const auto a = renderSubject(scm, subjectNoise(scm, 3), kSize);
    const auto b = renderSubject(scm, subjectNoise(scm, 3), kSize);
    QVERIFY(a.image.pixels == b.image.pixels);
    QVERIFY(a.labels.pixels == b.labels.pixels);
    const auto c = renderSubject(scm, subjectNoise(scm, 4), kSize);
    QVERIFY(a.image.pixels != c.image.pixels);
  }

  void maskAreasEqualVariables() {
    const PhantomScm scm;
    double worst = 0.0;
    for (int i = 0; i < 40; ++i) {
      const auto s = renderSubject(scm, subjectNoise(scm, i), kSize);
      const std::pair<const char*, std::uint8_t> structures[] = {
          {"right_lung_area", kRightLung}, {"left_lung_area", kLeftLung}, {"heart_area", kHeart}};
      for (const auto& [name, label] : structures) {
        const double wanted = s.attributes.get(name), measured = labelArea(s.labels, label);
        worst = std::max(worst, std::abs(measured - wanted) / wanted);
      }
    }
    QVERIFY2(worst <= 0.005, qPrintable(QString("worst relative area error %1").arg(worst)));
  }

  void plausibleAnatomyStatistics() {
    const PhantomScm scm;
    double lungs = 0, heart = 0, maleRight = 0, femaleRight = 0, males = 0, n = 2000;
    double ageHeart = 0, ageMean = 0, heartMean = 0;
    std::vector<Attributes> all;
    for (int i = 0; i < n; ++i) all.push_back(scm.evaluate(subjectNoise(scm, i)));
    for (const auto& a : all) {
      lungs += (a.leftLungArea + a.rightLungArea) / 2;
      heart += a.heartArea;
      (a.sex > 0.5 ? maleRight : femaleRight) += a.rightLungArea;
      males += a.sex;
      ageMean += a.age / n, heartMean += a.heartArea / n;
      QVERIFY(a.rightLungArea > 10 && a.rightLungArea < 24);
      QVERIFY(a.heartArea > 5 && a.heartArea < 14);
    }
    for (const auto& a : all) ageHeart += (a.age - ageMean) * (a.heartArea - heartMean);
    QVERIFY(lungs / n > 14 && lungs / n < 19);
    QVERIFY(heart / n > 8 && heart / n < 11);
    QVERIFY(maleRight / males > femaleRight / (n - males) + 1.0);  // men have larger lungs
    QVERIFY(ageHeart > 0);                                         // the heart grows with age
  }

  void nullInterventionIsExact() {
    const PhantomScm scm;
    for (int i = 0; i < 5; ++i) {
      const auto noise = subjectNoise(scm, i);
      const auto factual = renderSubject(scm, noise, kSize);
      std::map<std::string, double> same;
      for (const char* v : {"sex", "age", "heart_area", "right_lung_area", "left_lung_area"})
        same[v] = factual.attributes.get(v);
      const auto again = renderSubject(scm, noise, kSize, same);
      QVERIFY(again.image.pixels == factual.image.pixels);
      QVERIFY(again.labels.pixels == factual.labels.pixels);
    }
  }

  void scmRecomputesOnlyDescendants() {
    const PhantomScm scm;
    const auto noise = subjectNoise(scm, 7);
    const auto factual = scm.evaluate(noise);
    const auto cf = scm.evaluate(noise, {{"heart_area", factual.heartArea + 2.0}});
    QCOMPARE(cf.rightLungArea, factual.rightLungArea);
    QCOMPARE(cf.age, factual.age);
    QVERIFY(qFuzzyCompare(cf.leftLungArea - factual.leftLungArea,
                          2.0 * scm.coefficients().leftPerHeart));
    const auto lung = scm.evaluate(noise, {{"left_lung_area", 12.0}});
    QCOMPARE(lung.heartArea, factual.heartArea);
    QCOMPARE(lung.leftLungArea, 12.0);
    QVERIFY_EXCEPTION_THROWN(scm.evaluate(noise, {{"weight", 1.0}}), cfx::ValidationError);
  }

  // Under do(structure), pixels outside the (dilated) union of the factual and counterfactual
  // masks of the structure and its structure descendants are unchanged, and so are the masks of
  // every other structure.
  void trueCounterfactualsAreLocal() {
    const PhantomScm scm;
    const auto graph = PhantomScm::graph();
    for (int i = 0; i < 6; ++i) {
      const auto noise = subjectNoise(scm, i);
      const auto factual = renderSubject(scm, noise, kSize);
      for (const char* target : kStructures)
        for (double factor : {0.8, 1.2}) {
          const auto cf =
              renderSubject(scm, noise, kSize, {{target, factual.attributes.get(target) * factor}});
          std::vector<char> region(factual.labels.pixels.size(), 0);
          for (const char* other : kStructures) {
            const auto label = std::uint8_t(*graph.variable(other).maskLabel);
            const bool affected = graph.dependsOn(other, target);
            for (size_t p = 0; p < region.size(); ++p) {
              const bool before = factual.labels.pixels[p] == label,
                         after = cf.labels.pixels[p] == label;
              if (affected)
                region[p] |= before || after;
              else
                QVERIFY2(before == after,
                         qPrintable(QString("do(%1) moved %2").arg(target, other)));
            }
          }
          const auto allowed = dilate(region, kSize, cf.blurRadius);
          long changed = 0;
          for (size_t p = 0; p < region.size(); ++p) {
            if (cf.image.pixels[p] == factual.image.pixels[p]) continue;
            ++changed;
            QVERIFY2(allowed[p],
                     qPrintable(
                         QString("do(%1) changed pixel %2 outside its region").arg(target).arg(p)));
          }
          QVERIFY2(changed > 50, "the intervention should visibly change the image");
        }
    }
  }

  void rendersTheWholeSupportedRange() {
    const PhantomScm scm;
    const auto graph = PhantomScm::graph();
    for (int i = 0; i < 4; ++i)
      for (const char* target : kStructures)
        for (double value : {graph.variable(target).min, graph.variable(target).max}) {
          const auto s = renderSubject(scm, subjectNoise(scm, i), kSize, {{target, value}});
          const auto label = std::uint8_t(*graph.variable(target).maskLabel);
          QVERIFY(std::abs(labelArea(s.labels, label) - value) / value <= 0.005);
        }
  }

  void exogenousStoreRoundTrip() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("exogenous.bin").toStdString();
    const PhantomScm scm;
    std::vector<StoredSubject> subjects = {{"a", subjectNoise(scm, 1)},
                                           {"subject-2", subjectNoise(scm, 2)}};
    writeExogenous(path, subjects);
    const auto back = readExogenous(path);
    QCOMPARE(back.size(), size_t(2));
    QCOMPARE(back[1].id, std::string("subject-2"));
    QCOMPARE(back[1].noise.leftLungArea, subjects[1].noise.leftLungArea);
    QCOMPARE(back[1].noise.imageSeed, subjects[1].noise.imageSeed);

    std::filesystem::resize_file(path, std::filesystem::file_size(path) - 5);
    try {
      readExogenous(path);
      QFAIL("a truncated file must be refused");
    } catch (const cfx::ValidationError& e) {
      QVERIFY(QString(e.what()).contains("ends early"));
    }
  }

  void refusesImpossibleArea() {
    const PhantomScm scm;
    QVERIFY_EXCEPTION_THROWN(
        renderSubject(scm, subjectNoise(scm, 1), kSize, {{"left_lung_area", 60.0}}),
        cfx::ValidationError);
  }
};

QTEST_APPLESS_MAIN(TestPhantom)
#include "test_phantom.moc"
