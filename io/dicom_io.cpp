#include "dicom_io.h"

#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmimgle/dcmimage.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <cctype>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>

#include "atomic_file.h"
#include "image_limits.h"
#include "io_error.h"

namespace cfx::io {
namespace {

std::string getString(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  return item.findAndGetOFStringArray(tag, value).good() ? std::string(value.c_str())
                                                         : std::string();
}

// A tag as messages name it: "Rows (0028,0010)".
std::string tagLabel(const DcmTagKey& key) {
  char number[16];
  std::snprintf(number, sizeof number, "(%04X,%04X)", unsigned(key.getGroup()),
                unsigned(key.getElement()));
  return std::string(DcmTag(key).getTagName()) + " " + number;
}

// "063Y", "018M", "012W", "100D" -> years; an explanation instead when the value is not an age.
std::optional<double> parseAge(const std::string& text, std::string& problem) {
  const bool digits = text.size() == 4 && std::isdigit(static_cast<unsigned char>(text[0])) &&
                      std::isdigit(static_cast<unsigned char>(text[1])) &&
                      std::isdigit(static_cast<unsigned char>(text[2]));
  double years = -1.0;
  if (digits) {
    const double n = std::stod(text.substr(0, 3));
    switch (text[3]) {
      case 'Y':
        years = n;
        break;
      case 'M':
        years = n / 12.0;
        break;
      case 'W':
        years = n * 7.0 / 365.25;
        break;
      case 'D':
        years = n / 365.25;
        break;
      default:
        break;
    }
  }
  if (years < 0.0) {
    problem =
        "PatientAge (0010,1010) '" + text + "' is not an age (expected nnnD, nnnW, nnnM or nnnY)";
    return std::nullopt;
  }
  if (years > 130.0) {
    problem = "PatientAge (0010,1010) '" + text + "' is not a plausible age";
    return std::nullopt;
  }
  return years;
}

// An integer string attribute (IS): its value, or an error naming the tag.
std::optional<long> integerAttribute(DcmItem& item, const DcmTagKey& tag, const std::string& path) {
  const std::string text = getString(item, tag);
  if (text.empty()) return std::nullopt;
  size_t used = 0;
  long value = 0;
  try {
    value = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size()) throw IoError(path, tagLabel(tag), "'" + text + "' is not an integer");
  return value;
}

// A decimal attribute (DS) that must be finite when present.
std::optional<double> finiteAttribute(DcmItem& item, const DcmTagKey& tag,
                                      const std::string& path) {
  const std::string text = getString(item, tag);
  if (text.empty()) return std::nullopt;
  Float64 value = 0.0;
  if (item.findAndGetFloat64(tag, value).bad() || !std::isfinite(value))
    throw IoError(path, tagLabel(tag), "'" + text + "' is not a finite number");
  return value;
}

// The Image Pixel module checked against the limits and against itself before DCMTK allocates
// anything for the image: the header must describe an image we can hold, and the pixel data
// must be exactly as long as the header says.
void checkPixelModule(DcmFileFormat& file, const std::string& path) {
  DcmDataset& ds = *file.getDataset();
  OFString syntax;
  file.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, syntax);
  if (!syntax.empty() && DcmXfer(syntax.c_str()).getXfer() == EXS_Unknown)
    throw IoError(path, tagLabel(DCM_TransferSyntaxUID),
                  "unknown transfer syntax '" + std::string(syntax.c_str()) + "'");
  Uint16 rows = 0, columns = 0, bitsAllocated = 0, bitsStored = 0, highBit = 0, samples = 1;
  if (ds.findAndGetUint16(DCM_Rows, rows).bad() || ds.findAndGetUint16(DCM_Columns, columns).bad())
    throw IoError(path, tagLabel(DCM_Rows), "Rows or Columns missing");
  checkImageSize(path, tagLabel(DCM_Rows) + " x " + tagLabel(DCM_Columns), columns, rows);
  if (ds.findAndGetUint16(DCM_BitsAllocated, bitsAllocated).bad() ||
      (bitsAllocated != 8 && bitsAllocated != 16))
    throw IoError(path, tagLabel(DCM_BitsAllocated),
                  "expected 8 or 16, got " + getString(ds, DCM_BitsAllocated));
  if (ds.findAndGetUint16(DCM_BitsStored, bitsStored).bad() || bitsStored < 1 ||
      bitsStored > bitsAllocated)
    throw IoError(
        path, tagLabel(DCM_BitsStored),
        "expected 1-" + std::to_string(bitsAllocated) + ", got " + getString(ds, DCM_BitsStored));
  if (ds.findAndGetUint16(DCM_HighBit, highBit).good() && highBit != bitsStored - 1)
    throw IoError(path, tagLabel(DCM_HighBit),
                  "expected " + std::to_string(bitsStored - 1) + " (BitsStored - 1), got " +
                      std::to_string(highBit));
  ds.findAndGetUint16(DCM_SamplesPerPixel, samples);
  const auto frames = integerAttribute(ds, DCM_NumberOfFrames, path);
  if (frames && *frames < 1)
    throw IoError(path, tagLabel(DCM_NumberOfFrames),
                  "expected a positive number of frames, got " + std::to_string(*frames));
  if (frames && *frames > 1)
    throw IoError(path, tagLabel(DCM_NumberOfFrames),
                  "multi-frame images (" + std::to_string(*frames) + " frames) are not supported");
  if (const auto slope = finiteAttribute(ds, DCM_RescaleSlope, path); slope && *slope == 0.0)
    throw IoError(path, tagLabel(DCM_RescaleSlope), "0 would make every pixel the same");
  finiteAttribute(ds, DCM_RescaleIntercept, path);
  finiteAttribute(ds, DCM_WindowCenter, path);
  if (const auto width = finiteAttribute(ds, DCM_WindowWidth, path); width && *width < 1.0)
    throw IoError(path, tagLabel(DCM_WindowWidth),
                  "expected at least 1, got " + getString(ds, DCM_WindowWidth));

  DcmElement* pixelData = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, pixelData).bad() || !pixelData)
    throw IoError(path, tagLabel(DCM_PixelData), "missing: the file holds no image");
  if (DcmXfer(ds.getOriginalXfer()).isEncapsulated()) return;  // sizes checked after decoding
  const std::uint64_t expected = std::uint64_t(rows) * columns * samples * (bitsAllocated / 8) *
                                 std::uint64_t(frames.value_or(1));
  const std::uint64_t length = pixelData->getLength();
  if (length == DCM_UndefinedLength || length % 2 != 0)
    throw IoError(path, tagLabel(DCM_PixelData),
                  "length " + std::to_string(length) + " is not an even number of bytes");
  if (length < expected || length > expected + 1)
    throw IoError(path, tagLabel(DCM_PixelData),
                  std::to_string(length) + " bytes, expected " + std::to_string(expected) +
                      " for " + std::to_string(columns) + " x " + std::to_string(rows) +
                      " pixels of " + std::to_string(bitsAllocated) + " bits" +
                      (length < expected ? " (truncated)" : " (Rows/Columns do not match)"));
  if (pixelData->loadAllDataIntoMemory().bad())
    throw IoError(path, tagLabel(DCM_PixelData), "the file ends before its pixel data does");
}

std::string formatAge(double years) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "%03dY", std::clamp(int(std::floor(years)), 0, 999));
  return buffer;
}

std::string newUid(const char* root) {
  char uid[100];
  return dcmGenerateUniqueIdentifier(uid, root);
}

void put(DcmDataset& ds, const DcmTagKey& tag, const std::string& value, const std::string& path) {
  if (ds.putAndInsertString(tag, value.c_str()).bad())
    throw IoError(path, DcmTag(tag).getTagName(), "cannot store value '" + value + "'");
}

}  // namespace

// DCMTK keeps its codecs in a process-wide registry; register them once, on first use.
void prepareDicomCodecs() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Our exceptions carry what went wrong; DCMTK's own log lines on stderr would only repeat it.
    OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
  });
}

bool looksLikeDicom(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[132] = {};
  return in.read(magic, sizeof magic) && std::string(magic + 128, 4) == "DICM";
}

Radiograph readDicom(const std::string& path) {
  prepareDicomCodecs();
  checkImageFileSize(path);
  DcmFileFormat file;
  const OFCondition loaded = file.loadFile(path.c_str());
  if (loaded.bad())
    throw IoError(path, "parse", std::string("not a readable DICOM file: ") + loaded.text());
  DcmDataset& ds = *file.getDataset();

  Uint16 samples = 1;
  ds.findAndGetUint16(DCM_SamplesPerPixel, samples);
  const std::string photometric = getString(ds, DCM_PhotometricInterpretation);
  if (samples != 1 || (photometric != "MONOCHROME1" && photometric != "MONOCHROME2"))
    throw IoError(path, tagLabel(DCM_PhotometricInterpretation),
                  "expected a grayscale radiograph (MONOCHROME1/2), got " + photometric + " with " +
                      std::to_string(samples) + " samples per pixel");
  checkPixelModule(file, path);

  const E_TransferSyntax stored = ds.getOriginalXfer();
  if (DcmXfer(stored).isEncapsulated()) {
    if (ds.chooseRepresentation(EXS_LittleEndianExplicit, nullptr).bad() ||
        !ds.canWriteXfer(EXS_LittleEndianExplicit))
      throw IoError(path, "TransferSyntax",
                    std::string("compressed pixel data in ") + DcmXfer(stored).getXferName() +
                        " cannot be decoded by the available DCMTK codecs");
  }
  DicomImage dicomImage(&ds, EXS_LittleEndianExplicit, CIF_MayDetachPixelData);
  if (dicomImage.getStatus() != EIS_Normal)
    throw IoError(
        path, "PixelData",
        std::string("cannot decode the image: ") + DicomImage::getString(dicomImage.getStatus()));
  // The VOI window in the file is the producer's choice of what matters; otherwise show all.
  if (dicomImage.getWindowCount() > 0)
    dicomImage.setWindow(0);
  else
    dicomImage.setMinMaxWindow();

  const int width = int(dicomImage.getWidth()), height = int(dicomImage.getHeight());
  const auto* pixels = static_cast<const Uint16*>(dicomImage.getOutputData(16));
  if (!pixels) throw IoError(path, "PixelData", "cannot render the pixel data (truncated?)");

  Radiograph result;
  result.image = GrayImage(width, height);
  // DCMTK renders MONOCHROME1 with its inversion applied, so output is always bright = dense.
  for (size_t i = 0; i < result.image.pixels.size(); ++i)
    result.image.pixels[i] = float(pixels[i] / 65535.0);

  RadiographMetadata& meta = result.metadata;
  meta.sourcePhotometric = photometric;
  Uint16 bitsStored = 0;
  ds.findAndGetUint16(DCM_BitsStored, bitsStored);
  meta.sourceBitsStored = bitsStored;
  Float64 spacing = 0.0;
  if (ds.findAndGetFloat64(DCM_PixelSpacing, spacing, 0).good() && spacing > 0)
    meta.pixelSpacingMm = spacing;
  else if (ds.findAndGetFloat64(DCM_ImagerPixelSpacing, spacing, 0).good() && spacing > 0)
    meta.pixelSpacingMm = spacing;
  if (const std::string age = getString(ds, DCM_PatientAge); !age.empty())
    meta.patientAgeYears = parseAge(age, meta.ageProblem);
  const std::string sex = getString(ds, DCM_PatientSex);
  if (sex == "F" || sex == "M") meta.patientSex = sex[0];

  DicomIdentity id;
  id.patientName = getString(ds, DCM_PatientName);
  id.patientId = getString(ds, DCM_PatientID);
  id.patientBirthDate = getString(ds, DCM_PatientBirthDate);
  id.studyInstanceUid = getString(ds, DCM_StudyInstanceUID);
  id.studyDate = getString(ds, DCM_StudyDate);
  id.studyTime = getString(ds, DCM_StudyTime);
  id.studyId = getString(ds, DCM_StudyID);
  id.accessionNumber = getString(ds, DCM_AccessionNumber);
  id.studyDescription = getString(ds, DCM_StudyDescription);
  id.referringPhysician = getString(ds, DCM_ReferringPhysicianName);
  id.sopClassUid = getString(ds, DCM_SOPClassUID);
  id.sopInstanceUid = getString(ds, DCM_SOPInstanceUID);
  id.modality = getString(ds, DCM_Modality);
  id.patientOrientation = getString(ds, DCM_PatientOrientation);
  id.bodyPartExamined = getString(ds, DCM_BodyPartExamined);
  id.laterality = getString(ds, DCM_Laterality);
  meta.dicom = id;
  return result;
}

void writeDicom(const std::string& path, const GrayImage& image, const RadiographMetadata& metadata,
                const DicomWriteOptions& options) {
  if (image.empty()) throw IoError(path, "image", "nothing to write (empty image)");
  DcmFileFormat file;
  DcmDataset& ds = *file.getDataset();
  const DicomIdentity id = metadata.dicom.value_or(DicomIdentity{});

  char date[16], time[16];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y%m%d", std::localtime(&now));
  std::strftime(time, sizeof time, "%H%M%S", std::localtime(&now));

  put(ds, DCM_SpecificCharacterSet, "ISO_IR 192", path);
  put(ds, DCM_SOPClassUID, UID_SecondaryCaptureImageStorage, path);
  put(ds, DCM_SOPInstanceUID, newUid(SITE_INSTANCE_UID_ROOT), path);
  put(ds, DCM_StudyInstanceUID,
      id.studyInstanceUid.empty() ? newUid(SITE_STUDY_UID_ROOT) : id.studyInstanceUid, path);
  put(ds, DCM_SeriesInstanceUID, newUid(SITE_SERIES_UID_ROOT), path);
  put(ds, DCM_PatientName, id.patientName, path);
  put(ds, DCM_PatientID, id.patientId, path);
  put(ds, DCM_PatientBirthDate, id.patientBirthDate, path);
  put(ds, DCM_PatientSex, metadata.patientSex ? std::string(1, *metadata.patientSex) : "", path);
  if (metadata.patientAgeYears) put(ds, DCM_PatientAge, formatAge(*metadata.patientAgeYears), path);
  put(ds, DCM_StudyDate, id.studyDate.empty() ? date : id.studyDate, path);
  put(ds, DCM_StudyTime, id.studyTime.empty() ? time : id.studyTime, path);
  // A study we create gets an ID (media directories index by it); a source's is kept as it is.
  put(ds, DCM_StudyID, id.studyInstanceUid.empty() && id.studyId.empty() ? "1" : id.studyId, path);
  put(ds, DCM_AccessionNumber, id.accessionNumber, path);
  put(ds, DCM_ReferringPhysicianName, id.referringPhysician, path);
  if (!id.studyDescription.empty()) put(ds, DCM_StudyDescription, id.studyDescription, path);
  put(ds, DCM_Modality, "OT", path);
  put(ds, DCM_SeriesNumber, std::to_string(options.seriesNumber), path);
  put(ds, DCM_SeriesDescription, options.seriesDescription, path);
  // Every image here is a chest radiograph: an unpaired body part, so Laterality (Type 2C) is
  // present only when the source had it; PatientOrientation (Type 2C, required without an image
  // plane) is the source's, empty when unknown. dciodvfy checks both.
  put(ds, DCM_BodyPartExamined, id.bodyPartExamined.empty() ? "CHEST" : id.bodyPartExamined, path);
  if (!id.laterality.empty()) put(ds, DCM_Laterality, id.laterality, path);
  put(ds, DCM_PatientOrientation, id.patientOrientation, path);
  put(ds, DCM_InstanceNumber, "1", path);
  put(ds, DCM_ContentDate, date, path);
  put(ds, DCM_ContentTime, time, path);
  put(ds, DCM_Manufacturer, "cfx counterfactual explorer", path);
  put(ds, DCM_ImageType, options.derivedFromSource ? "DERIVED\\SECONDARY" : "ORIGINAL\\PRIMARY",
      path);
  // SYN is the standard's defined term for a synthetic image; WSD a workstation's conversion.
  put(ds, DCM_ConversionType, options.synthetic ? "SYN" : "WSD", path);
  put(ds, DCM_BurnedInAnnotation, "NO", path);
  put(ds, DCM_DerivationDescription, options.derivationDescription.substr(0, 1024), path);
  put(ds, DCM_ImageComments,
      (options.synthetic ? "SYNTHETIC IMAGE - NOT FOR DIAGNOSIS. " : "") +
          options.derivationDescription.substr(0, 10000),
      path);
  if (options.derivedFromSource && !id.sopInstanceUid.empty()) {
    DcmItem* item = nullptr;
    if (ds.findOrCreateSequenceItem(DCM_SourceImageSequence, item, -2).good() && item) {
      item->putAndInsertString(DCM_ReferencedSOPClassUID, id.sopClassUid.c_str());
      item->putAndInsertString(DCM_ReferencedSOPInstanceUID, id.sopInstanceUid.c_str());
    }
  }

  ds.putAndInsertUint16(DCM_SamplesPerPixel, 1);
  put(ds, DCM_PhotometricInterpretation, "MONOCHROME2", path);
  ds.putAndInsertUint16(DCM_Rows, Uint16(image.height));
  ds.putAndInsertUint16(DCM_Columns, Uint16(image.width));
  ds.putAndInsertUint16(DCM_BitsAllocated, 16);
  ds.putAndInsertUint16(DCM_BitsStored, 16);
  ds.putAndInsertUint16(DCM_HighBit, 15);
  ds.putAndInsertUint16(DCM_PixelRepresentation, 0);
  put(ds, DCM_WindowCenter, "32767.5", path);
  put(ds, DCM_WindowWidth, "65536", path);
  if (metadata.pixelSpacingMm) {
    const std::string s = std::to_string(*metadata.pixelSpacingMm);
    put(ds, DCM_PixelSpacing, s + "\\" + s, path);
  }
  std::vector<Uint16> pixels(image.pixels.size());
  for (size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = Uint16(std::lround(std::clamp(double(image.pixels[i]), 0.0, 1.0) * 65535.0));
  if (ds.putAndInsertUint16Array(DCM_PixelData, pixels.data(), unsigned(pixels.size())).bad())
    throw IoError(path, "PixelData", "cannot store the pixels");

  const std::string temporary = temporaryPathFor(path);
  const OFCondition saved = file.saveFile(temporary.c_str(), EXS_LittleEndianExplicit);
  if (saved.bad()) {
    std::filesystem::remove(temporary);
    throw IoError(path, "write", std::string("cannot write the DICOM file: ") + saved.text());
  }
  commitTemporary(temporary, path);
}

}  // namespace cfx::io
