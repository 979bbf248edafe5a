#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "png_io.h"
#include "radiograph_reader.h"
#include "test_helpers.h"

using namespace cfx;

class TestPngIo : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::string path(const char* name) { return dir_.filePath(name).toStdString(); }

 private Q_SLOTS:
  void sixteenBitRoundTripIsExact() {
    GrayImage image(7, 5);
    for (size_t i = 0; i < image.pixels.size(); ++i)
      image.pixels[i] = float(i * 1000 % 65536) / 65535.0f;
    io::writeGrayPng(path("a.png"), image, 16);
    int bits = 0;
    const auto back = io::readGrayPng(path("a.png"), &bits);
    QCOMPARE(bits, 16);
    QCOMPARE(back.width, 7);
    QCOMPARE(back.height, 5);
    for (size_t i = 0; i < image.pixels.size(); ++i)
      QCOMPARE(std::lround(back.pixels[i] * 65535.0), std::lround(image.pixels[i] * 65535.0));
  }

  void eightBitRoundTrip() {
    GrayImage image(4, 4);
    for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = float(i * 17) / 255.0f;
    io::writeGrayPng(path("b.png"), image, 8);
    int bits = 0;
    const auto back = io::readRadiograph(path("b.png"));
    QCOMPARE(back.metadata.sourceBitsStored, 8);
    (void)bits;
    for (size_t i = 0; i < image.pixels.size(); ++i)
      QCOMPARE(std::lround(back.image.pixels[i] * 255.0), long(i * 17));
  }

  void labelMapRoundTrip() {
    LabelMap labels(3, 2);
    labels.pixels = {0, 1, 2, 3, 2, 1};
    io::writeLabelPng(path("m.png"), labels);
    QVERIFY(io::readLabelPng(path("m.png")).pixels == labels.pixels);
  }

  void rgbRoundTripKeepsChannelOrder() {
    RgbImage image(1, 1, {200, 10, 30});
    io::writeRgbPng(path("c.png"), image);
    const cv::Mat m = cv::imread(path("c.png"), cv::IMREAD_UNCHANGED);
    QCOMPARE(int(m.at<cv::Vec3b>(0, 0)[2]), 200);  // OpenCV's BGR: red last
  }

  void refusesColourAndWrongDepth() {
    cv::imwrite(path("colour.png"), cv::Mat(4, 4, CV_8UC3, cv::Scalar(1, 2, 3)));
    CFX_EXPECT_ERROR(io::readGrayPng(path("colour.png")), "colour.png", "grayscale", "RGB colour");
    cv::imwrite(path("deep.png"), cv::Mat(4, 4, CV_16UC1, cv::Scalar(300)));
    CFX_EXPECT_ERROR(io::readLabelPng(path("deep.png")), "deep.png", "8-bit single-channel",
                     "16-bit");
  }

  void refusesMissingAndTruncatedFiles() {
    CFX_EXPECT_ERROR(io::readGrayPng(path("nothing.png")), "nothing.png", "no such file");
    GrayImage image(64, 64, 0.5f);
    io::writeGrayPng(path("t.png"), image, 16);
    std::filesystem::resize_file(path("t.png"), 40);
    CFX_EXPECT_ERROR(io::readRadiograph(path("t.png")), "t.png", "not a readable PNG");
  }

  void atomicWriteLeavesNoPartialFile() {
    GrayImage image(8, 8, 0.25f);
    io::writeGrayPng(path("atomic.png"), image, 16);
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path().toStdString()))
      QVERIFY2(entry.path().string().find(".partial") == std::string::npos,
               "temporary file left behind");
    CFX_EXPECT_ERROR(io::writeGrayPng(path("no/such/folder/x.png"), image, 16), "x.png",
                     "cannot create");
  }
};

QTEST_APPLESS_MAIN(TestPngIo)
#include "test_png_io.moc"
