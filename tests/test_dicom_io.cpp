#include <dcmtk/dcmdata/dcrleerg.h>
#include <dcmtk/dcmdata/dctk.h>

#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>

#include "dicom_io.h"
#include "radiograph_reader.h"
#include "test_helpers.h"

using namespace cfx;

namespace {

struct Fixture {
  int rows = 4, cols = 4;
  int bitsAllocated = 16, bitsStored = 16;
  std::string photometric = "MONOCHROME2";
  std::vector<Uint16> pixels;  // stored values
  std::string slope, intercept, windowCenter, windowWidth, age, sex, spacing;
  int frames = 1, samples = 1;
};

void writeFixture(const std::string& path, const Fixture& f,
                  E_TransferSyntax xfer = EXS_LittleEndianExplicit) {
  DcmFileFormat file;
  DcmDataset& ds = *file.getDataset();
  ds.putAndInsertString(DCM_SOPClassUID, UID_DigitalXRayImageStorageForPresentation);
  ds.putAndInsertString(DCM_SOPInstanceUID, "1.2.3.4.5.6");
  ds.putAndInsertString(DCM_StudyInstanceUID, "1.2.3.4.5");
  ds.putAndInsertString(DCM_SeriesInstanceUID, "1.2.3.4.5.1");
  ds.putAndInsertString(DCM_PatientName, "DOE^JANE");
  ds.putAndInsertString(DCM_PatientID, "P42");
  ds.putAndInsertString(DCM_Modality, "DX");
  if (!f.age.empty()) ds.putAndInsertString(DCM_PatientAge, f.age.c_str());
  if (!f.sex.empty()) ds.putAndInsertString(DCM_PatientSex, f.sex.c_str());
  if (!f.spacing.empty()) ds.putAndInsertString(DCM_PixelSpacing, f.spacing.c_str());
  ds.putAndInsertUint16(DCM_SamplesPerPixel, Uint16(f.samples));
  ds.putAndInsertString(DCM_PhotometricInterpretation, f.photometric.c_str());
  if (f.samples > 1) ds.putAndInsertUint16(DCM_PlanarConfiguration, 0);
  ds.putAndInsertUint16(DCM_Rows, Uint16(f.rows));
  ds.putAndInsertUint16(DCM_Columns, Uint16(f.cols));
  if (f.frames > 1) ds.putAndInsertString(DCM_NumberOfFrames, std::to_string(f.frames).c_str());
  ds.putAndInsertUint16(DCM_BitsAllocated, Uint16(f.bitsAllocated));
  ds.putAndInsertUint16(DCM_BitsStored, Uint16(f.bitsStored));
  ds.putAndInsertUint16(DCM_HighBit, Uint16(f.bitsStored - 1));
  ds.putAndInsertUint16(DCM_PixelRepresentation, 0);
  if (!f.slope.empty()) ds.putAndInsertString(DCM_RescaleSlope, f.slope.c_str());
  if (!f.intercept.empty()) ds.putAndInsertString(DCM_RescaleIntercept, f.intercept.c_str());
  if (!f.windowCenter.empty()) ds.putAndInsertString(DCM_WindowCenter, f.windowCenter.c_str());
  if (!f.windowWidth.empty()) ds.putAndInsertString(DCM_WindowWidth, f.windowWidth.c_str());
  const size_t count = size_t(f.rows) * f.cols * f.frames * f.samples;
  std::vector<Uint16> values = f.pixels;
  values.resize(count, 0);
  if (f.bitsAllocated == 8) {
    std::vector<Uint8> bytes(values.begin(), values.end());
    ds.putAndInsertUint8Array(DCM_PixelData, bytes.data(), unsigned(bytes.size()));
  } else {
    ds.putAndInsertUint16Array(DCM_PixelData, values.data(), unsigned(values.size()));
  }
  if (xfer != EXS_LittleEndianExplicit) QVERIFY(ds.chooseRepresentation(xfer, nullptr).good());
  QVERIFY(file.saveFile(path.c_str(), xfer).good());
}

std::vector<Uint16> ramp(int n, int step) {
  std::vector<Uint16> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[size_t(i)] = Uint16(i * step);
  return v;
}

}  // namespace

class TestDicomIo : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::string path(const char* name) { return dir_.filePath(name).toStdString(); }

 private Q_SLOTS:
  void readsSixteenBitWithHeaderFacts() {
    Fixture f;
    f.pixels = ramp(16, 4000);  // 0..60000: full-range window
    f.age = "063Y";
    f.sex = "F";
    f.spacing = "0.2\\0.2";
    writeFixture(path("a.dcm"), f);
    const auto r = io::readRadiograph(path("a.dcm"));  // recognised as DICOM by content
    QCOMPARE(r.image.width, 4);
    QCOMPARE(*r.metadata.patientAgeYears, 63.0);
    QCOMPARE(*r.metadata.patientSex, 'F');
    QCOMPARE(*r.metadata.pixelSpacingMm, 0.2);
    QCOMPARE(r.metadata.dicom->patientId, std::string("P42"));
    QCOMPARE(r.image.pixels.front(), 0.0f);
    QCOMPARE(r.image.pixels.back(), 1.0f);
    QVERIFY(r.image.pixels[8] > r.image.pixels[7]);  // monotone
  }

  void invertsMonochrome1() {
    Fixture f;
    f.photometric = "MONOCHROME1";
    f.pixels = ramp(16, 4000);
    writeFixture(path("m1.dcm"), f);
    const auto r = io::readDicom(path("m1.dcm"));
    QCOMPARE(r.metadata.sourcePhotometric, std::string("MONOCHROME1"));
    QCOMPARE(r.image.pixels.front(), 1.0f);  // lowest stored value is white in MONOCHROME1
    QCOMPARE(r.image.pixels.back(), 0.0f);
  }

  void appliesRescaleAndWindow() {
    // 12-bit stored values 0..4095; rescale to -1000..3095; window 1000 +- 500 -> [500, 1500].
    Fixture f;
    f.bitsStored = 12;
    f.pixels = {0, 1500, 2000, 2500, 4095};
    f.slope = "1";
    f.intercept = "-1000";
    f.windowCenter = "1000";
    f.windowWidth = "1000";
    writeFixture(path("w.dcm"), f);
    const auto r = io::readDicom(path("w.dcm"));
    QCOMPARE(r.metadata.sourceBitsStored, 12);
    QCOMPARE(r.image.pixels[0], 0.0f);                    // -1000: below the window
    QVERIFY(std::abs(r.image.pixels[2] - 0.5f) < 0.01f);  // 1000: the window centre
    QCOMPARE(r.image.pixels[4], 1.0f);                    // 3095: above the window
    QVERIFY(r.image.pixels[1] < r.image.pixels[2] && r.image.pixels[2] < r.image.pixels[3]);
  }

  void readsEightBit() {
    Fixture f;
    f.bitsAllocated = 8;
    f.bitsStored = 8;
    f.pixels = ramp(16, 17);  // 0..255
    writeFixture(path("8.dcm"), f);
    const auto r = io::readDicom(path("8.dcm"));
    QCOMPARE(r.image.pixels.front(), 0.0f);
    QCOMPARE(r.image.pixels.back(), 1.0f);
    QVERIFY(std::abs(r.image.pixels[5] - 85.0f / 255.0f) < 1e-3f);
  }

  void decodesRleCompressed() {
    DcmRLEEncoderRegistration::registerCodecs();
    Fixture f;
    f.pixels = ramp(16, 4000);
    writeFixture(path("rle.dcm"), f, EXS_RLELossless);
    const auto r = io::readDicom(path("rle.dcm"));
    QCOMPARE(r.image.pixels.back(), 1.0f);
    QVERIFY(std::abs(r.image.pixels[4] - 16000.0f / 60000.0f) < 1e-3f);
  }

  void rejectsColourMultiFrameTruncatedAndNonDicom() {
    Fixture colour;
    colour.samples = 3;
    colour.bitsAllocated = 8;
    colour.bitsStored = 8;
    colour.photometric = "RGB";
    writeFixture(path("rgb.dcm"), colour);
    CFX_EXPECT_ERROR(io::readDicom(path("rgb.dcm")), "rgb.dcm", "grayscale", "RGB");
    Fixture frames;
    frames.frames = 3;
    writeFixture(path("frames.dcm"), frames);
    CFX_EXPECT_ERROR(io::readDicom(path("frames.dcm")), "frames.dcm", "multi-frame", "3 frames");
    Fixture big;
    big.rows = big.cols = 64;
    writeFixture(path("cut.dcm"), big);
    std::filesystem::resize_file(path("cut.dcm"),
                                 std::filesystem::file_size(path("cut.dcm")) - 3000);
    bool refused = false;
    try {
      io::readRadiograph(path("cut.dcm"));
    } catch (const cfx::ValidationError& e) {
      refused = QString(e.what()).contains("cut.dcm");
    }
    QVERIFY2(refused, "a truncated DICOM must be refused with a message naming the file");
    CFX_EXPECT_ERROR(io::readDicom(path("missing.dcm")), "missing.dcm", "no such file");
    std::ofstream(path("text.dcm")) << "hello";
    CFX_EXPECT_ERROR(io::readDicom(path("text.dcm")), "text.dcm", "not a readable DICOM");
  }

  void writesMarkedDerivedImageBesideItsSource() {
    Fixture f;
    f.pixels = ramp(16, 4000);
    f.age = "045Y";
    f.sex = "M";
    writeFixture(path("src.dcm"), f);
    const auto source = io::readDicom(path("src.dcm"));
    GrayImage image(5, 3);
    for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = float(i) / 14.0f;
    io::writeDicom(
        path("out.dcm"), image, source.metadata,
        {"SYNTHETIC COUNTERFACTUAL - NOT FOR DIAGNOSIS", "do(left_lung_area=-20%)", true, 900});
    const auto back = io::readDicom(path("out.dcm"));
    for (size_t i = 0; i < image.pixels.size(); ++i)
      QVERIFY(std::abs(back.image.pixels[i] - image.pixels[i]) < 1.0f / 65535.0f);
    QCOMPARE(back.metadata.dicom->studyInstanceUid, std::string("1.2.3.4.5"));
    QCOMPARE(back.metadata.dicom->patientId, std::string("P42"));
    QVERIFY(back.metadata.dicom->sopInstanceUid != source.metadata.dicom->sopInstanceUid);
    QCOMPARE(*back.metadata.patientAgeYears, 45.0);

    DcmFileFormat file;
    QVERIFY(file.loadFile(path("out.dcm").c_str()).good());
    DcmDataset& ds = *file.getDataset();
    OFString value;
    ds.findAndGetOFStringArray(DCM_ImageType, value);
    QCOMPARE(QString(value.c_str()), QString("DERIVED\\SECONDARY"));
    ds.findAndGetOFString(DCM_ConversionType, value);
    QCOMPARE(QString(value.c_str()), QString("SYN"));
    ds.findAndGetOFString(DCM_DerivationDescription, value);
    QVERIFY(QString(value.c_str()).contains("left_lung_area=-20%"));
    ds.findAndGetOFString(DCM_SeriesInstanceUID, value);
    QVERIFY(value != "1.2.3.4.5.1");
    ds.findAndGetOFString(DCM_SOPClassUID, value);
    QCOMPARE(QString(value.c_str()), QString(UID_SecondaryCaptureImageStorage));
    DcmItem* item = nullptr;
    QVERIFY(ds.findAndGetSequenceItem(DCM_SourceImageSequence, item, 0).good());
    item->findAndGetOFString(DCM_ReferencedSOPInstanceUID, value);
    QCOMPARE(QString(value.c_str()), QString("1.2.3.4.5.6"));
    QVERIFY(!std::filesystem::exists(path("out.dcm") + ".partial"));
  }
};

QTEST_APPLESS_MAIN(TestDicomIo)
#include "test_dicom_io.moc"
