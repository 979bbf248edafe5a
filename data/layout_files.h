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
// A CSV with a header row, as the layouts' metadata files come: rows of fields by column.
struct CsvTable {
  std::string path;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;

  // The first of `names` that is a column, or -1.
  int column(const std::vector<std::string>& names) const;
  // The same, or an IoError naming the file and the columns looked for.
  int require(const std::vector<std::string>& names) const;
};

// Reads `path`; a row with the wrong number of fields or an open quote is skipped with its line
// (in `scan`), not fatal.
CsvTable readCsvTable(const std::string& path, LayoutScan& scan);

// Mask-file lookup shared by the layouts: the files of a folder by stem, a trailing "_mask"
// removed, so "CHNCXR_0001_0_mask.png" is found for the image "CHNCXR_0001_0.png".
std::map<std::string, std::string> filesByStem(const std::string& dir, const std::string& what);

// A binary mask from a PNG (8-bit grey, non-zero inside).
LabelMap readMask(const std::string& path);

}  // namespace cfx::data
