#include <torch/torch.h>
#include <QtTest>

#include "tensor_bridge.h"
#include "test_helpers.h"

class TestTensorBridge : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void mapsUnitRangeToSymmetricRange() {
    cfx::GrayImage image(3, 2);
    image.pixels = {0.0f, 0.5f, 1.0f, 0.25f, 0.75f, 1.0f};
    const auto t = cfx::io::toTensor(image);
    QCOMPARE(t.sizes().vec(), (std::vector<int64_t>{1, 1, 2, 3}));
    QCOMPARE(t[0][0][0][0].item<float>(), -1.0f);
    QCOMPARE(t[0][0][0][1].item<float>(), 0.0f);
    QCOMPARE(t[0][0][1][0].item<float>(), -0.5f);
    image.pixels[0] = 0.9f;  // the tensor owns its memory
    QCOMPARE(t[0][0][0][0].item<float>(), -1.0f);
    const auto back = cfx::io::fromTensor(t);
    QCOMPARE(back.width, 3);
    QCOMPARE(back.pixels[3], 0.25f);
  }

  void clampsAndRejectsBadShapes() {
    const auto back = cfx::io::fromTensor(torch::full({2, 2}, 3.0));
    QCOMPARE(back.pixels[0], 1.0f);
    CFX_EXPECT_ERROR(cfx::io::fromTensor(torch::zeros({2, 3, 4, 4})), "shape");
  }
};

QTEST_APPLESS_MAIN(TestTensorBridge)
#include "test_tensor_bridge.moc"
