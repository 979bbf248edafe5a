#pragma once

#include <optional>
#include <string>

#include "image_buffer.h"

namespace cfx::io {

// Who and what an image belongs to, carried from a DICOM source to what we derive from it.
struct DicomIdentity {
  std::string patientName, patientId, patientBirthDate;
  std::string studyInstanceUid, studyDate, studyTime, studyId, accessionNumber, studyDescription,
      referringPhysician;
  std::string sopClassUid, sopInstanceUid;  // of the source image itself
  std::string modality;
  std::string patientOrientation, bodyPartExamined, laterality;  // e.g. "L\\F", "CHEST", ""
};

struct RadiographMetadata {
  std::optional<double> pixelSpacingMm;  // row spacing = column spacing assumed; see dicom_io
  std::optional<double> patientAgeYears;
  std::string ageProblem;  // why a PatientAge present in the file was not taken, e.g. "'999Y' ..."
  std::optional<char> patientSex;  // 'F' or 'M'
  int sourceBitsStored = 0;
  std::string
      sourcePhotometric;  // MONOCHROME1 / MONOCHROME2 as stored; the image is always display-ready
  std::optional<DicomIdentity> dicom;  // set when read from DICOM
};

// A radiograph ready for display and for the engine: intensities in [0, 1], bright = dense.
struct Radiograph {
  GrayImage image;
  RadiographMetadata metadata;
};

}  // namespace cfx::io
