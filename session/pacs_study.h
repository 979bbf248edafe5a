#pragma once

#include <string>
#include <vector>

#include "pacs_client.h"

namespace cfx::session {

// A study retrieved from a PACS for exploration: the one image of it a chest model is given.
struct RetrievedStudy {
  std::string imagePath;  // a DICOM file under the cache folder
  pacs::SeriesMatch series;
  std::vector<std::string> skipped;  // "series 2 (CT, 120 instances): modality CT is not ..."
  int instancesRetrieved = 0;
  double seconds = 0.0;
};

// Finds the study's series, then retrieves them one at a time (radiographs, CR and DX, first;
// series of counterfactuals we wrote and other body parts than the chest skipped) into
// `cacheDir`/<series UID> until one holds a single-frame grayscale image the reader accepts.
// A study with none says why for each series (a ValidationError naming the study).
RetrievedStudy retrieveChestImage(pacs::PacsClient& client, const std::string& studyInstanceUid,
                                  const std::string& cacheDir, WorkMonitor& monitor);

}  // namespace cfx::session
