#pragma once

#include <string>
#include <vector>

namespace cfx::pacs {

// What a user searches a PACS by. Empty fields match everything; names may hold the DICOM
// wildcards * and ?; dates are YYYYMMDD.
struct StudyQuery {
  std::string patientName, patientId, accessionNumber;
  std::string dateFrom, dateTo;
  std::vector<std::string> modalities;  // e.g. {"CR", "DX"}: studies holding any of them
};

// One study as the node describes it.
struct StudyMatch {
  std::string studyInstanceUid, patientName, patientId, patientBirthDate, patientSex;
  std::string studyDate, studyTime, studyDescription, accessionNumber, modalities;
  int seriesCount = -1, instanceCount = -1;  // -1: the node did not say
};

// One series of a study.
struct SeriesMatch {
  std::string studyInstanceUid, seriesInstanceUid, modality, seriesDescription, bodyPart;
  int seriesNumber = -1, instanceCount = -1;
};

// Throws a ValidationError naming the field when a query value cannot be sent (a date that is not
// YYYYMMDD, a modality that is not a DICOM code, a backslash in a name).
void validate(const StudyQuery& query);

}  // namespace cfx::pacs
