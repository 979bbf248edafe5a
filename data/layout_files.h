#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "dataset_import.h"

// What the importers of public layouts share: listing a layout's files and reading its texts,
// images and masks with errors that name the file.
namespace cfx::data {

bool isImageFile(const std::filesystem::path& path);
// The regular files of a folder (hidden ones left out), sorted; `what` names it in errors.
std::vector<std::filesystem::path> sortedFiles(const std::string& dir, const std::string& what);
// A whole text file (at most 64 MiB).
std::string readText(const std::string& path);
// A radiograph (DICOM, PNG, JPEG) as an imported case, with the sex and age a DICOM file states.
ImportedCase readImage(const std::string& path);
// A mask for `c`: another resolution is fine (it is resized with the image), another shape not.
void checkSameSize(const ImportedCase& c, const LabelMap& mask, const std::string& maskPath);
// A binary mask from a PNG (8-bit grey, non-zero inside).
LabelMap readMask(const std::string& path);

}  // namespace cfx::data
