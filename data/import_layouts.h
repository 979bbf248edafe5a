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
  std::string labelMaps;                          // label maps with this project's labels
  std::map<std::string, std::string> structures;  // area variable -> folder of binary masks
  std::string lungMasks;                          // one mask of both lungs, split by regions
  std::string attributes;                         // CSV, or empty
  std::string idColumn = "id", sexColumn = "sex", ageColumn = "age";
  bool masksRequired = false;  // skip images without a mask instead of importing them unlabelled
};
LayoutScan scanFolderLayout(const FolderLayout& layout);

// `nlm-tb`: the NLM tuberculosis sets as NLM publishes them. Montgomery: CXR_png/ with
// ManualMask/leftMask/ and ManualMask/rightMask/ (the patient's sides); Shenzhen: CXR_png/ or
// images/ with mask/ or masks/ holding one mask of both lungs per image (<stem>_mask.png). Sex
// and age from ClinicalReadings/<stem>.txt in either NLM style; without one they are unknown.
LayoutScan scanNlmTbLayout(const std::string& dir);

// `jsrt`: JSRT's raw .IMG files (2048 x 2048, 12-bit, big-endian, no header; stored as film
// density, so higher values are darker and are inverted here), the SCR masks (GIF, 1024 px) in
// folders named "right lung", "left lung" and "heart" anywhere under `masks` (SCR's fold1/fold2
// included; the patient's sides), and JSRT's clinical lists (CLNDAT_EN.txt, CNNDAT_EN.txt: the
// file name, then the age right before the sex) for sex and age.
struct JsrtLayout {
  std::string images, masks;  // masks may be empty: images without labels
  std::vector<std::string> clinicalLists;
};
LayoutScan scanJsrtLayout(const JsrtLayout& layout);

// `chexmask`: a CheXmask CSV (run-length-encoded "Right Lung", "Left Lung" and "Heart" masks,
// 1-based starts in the row-major Height x Width grid, as CheXmask documents them; its reverse-
// classification "Dice RCA (Mean)" as quality) joined with the image folder of the data set it
// segments, and sex and age from that data set's metadata: padchest (PatientSex_DICOM,
// PatientBirth, StudyDate_DICOM), chexpert (Path, Sex, Age), chestxray8 (Image Index, Patient
// Gender, Patient Age), mimic (mimic-cxr metadata dicom_id -> subject_id, and MIMIC-IV
// patients.csv gender, anchor_age), vindr (DICOM tags, no file).
struct ChexmaskLayout {
  std::string masksCsv, images;
  std::string metadataFormat;  // one of the above, or empty for none
  std::string metadata, patients;
  double minimumQuality = 0.7;
  long limit = 0;  // the first N rows of the CSV that pass; 0 for all
};
LayoutScan scanChexmaskLayout(const ChexmaskLayout& layout);

// CheXmask's run-length encoding: "start length ..." pairs, starts 1-based in the row-major
// grid. Throws std::invalid_argument for runs outside the grid or malformed text.
LabelMap decodeChexmaskRle(const std::string& rle, int height, int width);
std::string encodeChexmaskRle(const LabelMap& mask);

}  // namespace cfx::data
