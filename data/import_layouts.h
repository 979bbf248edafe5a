#pragma once

#include <map>
#include <string>
#include <vector>

#include "dataset_import.h"

namespace cfx::data {

// `folder`: images (PNG 8/16-bit or DICOM) in one folder; masks matched to an image by file stem
// (the image's stem, optionally followed by "_mask"), in any of three forms; attributes from a
// CSV with named columns, or none.
struct FolderLayout {
  std::string images;
  std::string labelMaps;                           // label maps with this project's labels
  std::map<std::string, std::string> structures;   // area variable -> folder of binary masks
  std::string lungMasks;                           // one mask of both lungs, split by regions
  std::string attributes;                          // CSV, or empty
  std::string idColumn = "id", sexColumn = "sex", ageColumn = "age";
  bool masksRequired = false;  // skip images without a mask instead of importing them unlabelled
};
LayoutScan scanFolderLayout(const FolderLayout& layout);

// `nlm-tb`: the NLM tuberculosis sets as NLM publishes them. Montgomery: CXR_png/ with
// ManualMask/leftMask/ and ManualMask/rightMask/ (the patient's sides); Shenzhen: CXR_png/ or
// images/ with mask/ or masks/ holding one mask of both lungs per image (<stem>_mask.png). Sex
// and age from ClinicalReadings/<stem>.txt in either NLM style; without one they are unknown.
LayoutScan scanNlmTbLayout(const std::string& dir);

// Mask-file lookup shared by the layouts: the files of a folder by stem, a trailing "_mask"
// removed, so "CHNCXR_0001_0_mask.png" is found for the image "CHNCXR_0001_0.png".
std::map<std::string, std::string> filesByStem(const std::string& dir, const std::string& what);

}  // namespace cfx::data
