#include <QtTest>
#include <cmath>

#include "image_resize.h"

using namespace cfx;

namespace {

// A smooth full-resolution "radiograph" with fine detail: a ramp plus a one-pixel checkerboard
// that no 16-pixel model grid can represent.
GrayImage detailedInput(int size) {
  GrayImage image(size, size);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x)
      image.at(x, y) = 0.3f + 0.4f * float(x) / float(size) + ((x + y) % 2 ? 0.05f : -0.05f);
  return image;
}

}  // namespace

class TestImageResize : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void areaResizeAveragesAndLabelsStayCategories() {
    GrayImage image(4, 4);
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 4; ++x) image.at(x, y) = float((x / 2) + 2 * (y / 2)) / 4.0f;
    const auto small = io::resizeImage(image, 2, 2);
    QCOMPARE(small.width, 2);
    QCOMPARE(small.at(0, 0), 0.0f);
    QCOMPARE(small.at(1, 0), 0.25f);
    QCOMPARE(small.at(1, 1), 0.75f);
    LabelMap labels(4, 4, 0);
    labels.at(3, 3) = 2;
    const auto big = io::resizeLabels(labels, 8, 8);
    for (auto v : big.pixels) QVERIFY(v == 0 || v == 2);
    QCOMPARE(big.at(7, 7), std::uint8_t(2));
  }

  void aNullEditReturnsTheInputExactly() {
    const GrayImage input = detailedInput(64);
    const GrayImage factual = io::resizeImage(input, 16, 16);
    const GrayImage out = io::transferEdit(input, factual, factual);
    QCOMPARE(out.width, 64);
    QCOMPARE(out.height, 64);
    QVERIFY(out.pixels == input.pixels);  // the checkerboard the model never saw survives
  }

  void anEditLandsWhereTheModelMadeIt() {
    const GrayImage input = detailedInput(64);
    const GrayImage factual = io::resizeImage(input, 16, 16);
    GrayImage counterfactual = factual;
    // Brighten model pixels x 8..11, y 4..7: input pixels 32..47 by 16..31 at scale 4.
    for (int y = 4; y < 8; ++y)
      for (int x = 8; x < 12; ++x) counterfactual.at(x, y) += 0.2f;
    const GrayImage out = io::transferEdit(input, factual, counterfactual);
    // Well inside the edited block the whole edit arrives; far from it nothing changes.
    QVERIFY(std::abs(out.at(40, 24) - input.at(40, 24) - 0.2f) < 1e-5f);
    QVERIFY(std::abs(out.at(36, 20) - input.at(36, 20) - 0.2f) < 1e-5f);
    QCOMPARE(out.at(5, 50), input.at(5, 50));
    QCOMPARE(out.at(60, 5), input.at(60, 5));
    // Bilinear: the border ramps, never overshoots the edit.
    for (size_t i = 0; i < out.pixels.size(); ++i) {
      const float change = out.pixels[i] - input.pixels[i];
      QVERIFY(change > -1e-5f && change < 0.2f + 1e-5f);
    }
  }

  void theResultStaysInRangeAndSameSizeInputsAddDirectly() {
    GrayImage input(8, 8, 0.9f);
    GrayImage factual(8, 8, 0.5f), counterfactual(8, 8, 0.5f);
    counterfactual.at(2, 2) = 0.8f;  // +0.3 on 0.9 must clamp to 1
    counterfactual.at(3, 3) = 0.4f;
    const GrayImage out = io::transferEdit(input, factual, counterfactual);
    QCOMPARE(out.at(2, 2), 1.0f);
    QVERIFY(std::abs(out.at(3, 3) - 0.8f) < 1e-6f);
    QCOMPARE(out.at(0, 0), 0.9f);
    // Non-square inputs keep their shape.
    const GrayImage wide = io::transferEdit(GrayImage(40, 20, 0.5f), factual, counterfactual);
    QCOMPARE(wide.width, 40);
    QCOMPARE(wide.height, 20);
  }

  void mismatchedModelImagesAreRefused() {
    QVERIFY_EXCEPTION_THROWN(io::transferEdit(GrayImage(8, 8), GrayImage(4, 4), GrayImage(4, 5)),
                             std::invalid_argument);
  }
};

QTEST_GUILESS_MAIN(TestImageResize)
#include "test_image_resize.moc"
