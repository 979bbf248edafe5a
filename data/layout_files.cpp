#include "layout_files.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "csv_record.h"
#include "file_limits.h"
#include "io_error.h"
#include "png_io.h"
#include "radiograph_reader.h"
#include "text_format.h"

namespace cfx::data {
namespace fs = std::filesystem;
namespace {

constexpr std::uintmax_t kMaxTextBytes = 64u << 20;

}  // namespace

bool isImageFile(const fs::path& path) {
  const std::string e = lowerCase(path.extension().string());
  return e == ".png" || e == ".dcm" || e == ".dicom" || e == ".jpg" || e == ".jpeg" || e.empty();
}

std::vector<fs::path> sortedFiles(const std::string& dir, const std::string& what) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) throw io::IoError(dir, what, "not a folder");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, error))
    if (entry.is_regular_file() && entry.path().filename().string()[0] != '.')
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string readText(const std::string& path) {
  const auto bytes = readFileBytes(path, kMaxTextBytes, "a text file");
  return std::string(bytes.begin(), bytes.end());
}

// The image and its bit depth.
ImportedCase readImage(const std::string& path) {
  ImportedCase c;
  io::Radiograph radiograph = io::readRadiograph(path);
  c.image = std::move(radiograph.image);
  c.sourceBitDepth =
      radiograph.metadata.sourceBitsStored > 0 ? radiograph.metadata.sourceBitsStored : 8;
  if (radiograph.metadata.patientSex) c.attributes["sex"] = *radiograph.metadata.patientSex == 'M';
  if (radiograph.metadata.patientAgeYears)
    c.attributes["age"] = *radiograph.metadata.patientAgeYears;
  return c;
}

void checkSameSize(const ImportedCase& c, const LabelMap& mask, const std::string& maskPath) {
  // Masks at another resolution are fine (resized with the image) as long as the shape agrees.
  if (std::abs(double(mask.width) / mask.height - double(c.image.width) / c.image.height) > 0.02)
    throw io::IoError(maskPath, "size",
                      "mask is " + std::to_string(mask.width) + "x" + std::to_string(mask.height) +
                          ", its image " + std::to_string(c.image.width) + "x" +
                          std::to_string(c.image.height) + " (another shape)");
}

LabelMap readMask(const std::string& path) {
  return io::readLabelPng(path);
}

std::map<std::string, std::string> filesByStem(const std::string& dir, const std::string& what) {
  std::map<std::string, std::string> files;
  for (const auto& path : sortedFiles(dir, what)) {
    std::string stem = path.stem().string();
    if (stem.size() > 5 && stem.compare(stem.size() - 5, 5, "_mask") == 0)
      stem.resize(stem.size() - 5);
    files[stem] = path.string();
  }
  return files;
}

int CsvTable::column(const std::vector<std::string>& names) const {
  for (const auto& name : names) {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it != header.end()) return int(it - header.begin());
  }
  return -1;
}

int CsvTable::require(const std::vector<std::string>& names) const {
  const int c = column(names);
  if (c < 0) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "'" : " or '") + n + "'";
    throw io::IoError(path, "line 1", "no column " + list);
  }
  return c;
}

CsvTable readCsvTable(const std::string& path, LayoutScan& scan) {
  CsvTable table;
  table.path = path;
  std::istringstream in(readText(path));
  std::string line;
  if (!std::getline(in, line)) throw io::IoError(path, "line 1", "empty file");
  if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
  bool ok = true;
  table.header = splitCsvRecord(line, ok);
  for (int number = 2; std::getline(in, line); ++number) {
    if (line.empty() || line == "\r") continue;
    auto fields = splitCsvRecord(line, ok);
    if (!ok || fields.size() != table.header.size()) {
      scan.skipped.emplace_back(path + " line " + std::to_string(number),
                                "malformed row (" + std::to_string(fields.size()) +
                                    " fields, expected " + std::to_string(table.header.size()) +
                                    ")");
      continue;
    }
    table.rows.push_back(std::move(fields));
    table.lines.push_back(number);
  }
  return table;
}

}  // namespace cfx::data
