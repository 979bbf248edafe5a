#include "layout_files.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "file_limits.h"
#include "io_error.h"
#include "png_io.h"
#include "radiograph_reader.h"

namespace cfx::data {
namespace fs = std::filesystem;
namespace {

constexpr std::uintmax_t kMaxTextBytes = 64u << 20;

std::string lowerExtension(const fs::path& path) {
  std::string e = path.extension().string();
  std::transform(e.begin(), e.end(), e.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return e;
}

}  // namespace

bool isImageFile(const fs::path& path) {
  const std::string e = lowerExtension(path);
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
  checkFileSize(path, kMaxTextBytes, "a text file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io::IoError(path, "open", "cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
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

}  // namespace cfx::data
