#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>

#include "clinical_reading.h"
#include "file_limits.h"
#include "gif_decoder.h"
#include "import_layouts.h"
#include "io_error.h"
#include "layout_files.h"
#include "text_format.h"

namespace cfx::data {
namespace fs = std::filesystem;
namespace {

constexpr int kJsrtSide = 2048;
constexpr int kJsrtMaximum = 4095;  // 12 bits

// A JSRT .IMG: 2048 x 2048 big-endian 16-bit words holding 12-bit film density (higher is
// darker), so it is inverted into this project's bright-is-dense intensities.
ImportedCase readJsrtImage(const std::string& path) {
  const auto bytes =
      readFileBytes(path, std::uintmax_t(kJsrtSide) * kJsrtSide * 2 + 1, "a JSRT image");
  if (bytes.size() != size_t(kJsrtSide) * kJsrtSide * 2)
    throw io::IoError(path, "size",
                      std::to_string(bytes.size()) + " bytes; a JSRT .IMG has " +
                          std::to_string(kJsrtSide * kJsrtSide * 2) +
                          " (2048 x 2048 big-endian 16-bit words, no header)");
  ImportedCase c;
  c.image = GrayImage(kJsrtSide, kJsrtSide);
  c.sourceBitDepth = 12;
  for (size_t p = 0; p < c.image.pixels.size(); ++p) {
    const int value = bytes[2 * p] << 8 | bytes[2 * p + 1];
    if (value > kJsrtMaximum)
      throw io::IoError(path, "pixel " + std::to_string(p),
                        "value " + std::to_string(value) +
                            " exceeds 12 bits (is this a JSRT .IMG? little-endian?)");
    c.image.pixels[p] = 1.0f - float(value) / float(kJsrtMaximum);
  }
  return c;
}

// The SCR mask folders, by the structure they hold, found at any depth (fold1/masks/heart, ...).
std::map<std::string, std::vector<std::string>> scrFolders(const std::string& root) {
  const std::map<std::string, std::string> names = {
      {"right lung", "right_lung_area"}, {"left lung", "left_lung_area"}, {"heart", "heart_area"}};
  std::map<std::string, std::vector<std::string>> folders;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(root, error);
       it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (error) break;
    if (!it->is_directory()) continue;
    const auto found = names.find(lowerCase(it->path().filename().string()));
    if (found != names.end()) folders[found->second].push_back(it->path().string());
  }
  return folders;
}

// Sex and age by image stem from JSRT's clinical lists: per line the file name, then the age as
// the number just before the sex word.
std::map<std::string, std::map<std::string, double>> readClinicalLists(
    const std::vector<std::string>& lists, LayoutScan& scan) {
  std::map<std::string, std::map<std::string, double>> values;
  for (const auto& list : lists) {
    std::istringstream lines(readText(list));
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
      std::istringstream words(line);
      std::vector<std::string> tokens;
      for (std::string w; words >> w;) tokens.push_back(w);
      if (tokens.empty() || lowerCase(tokens[0]).find(".img") == std::string::npos) continue;
      const std::string stem = fs::path(tokens[0]).stem().string();
      for (size_t k = 1; k < tokens.size(); ++k) {
        const std::string word = lowerCase(tokens[k]);
        if (word != "male" && word != "female") continue;
        auto& row = values[stem];
        row["sex"] = parseSex(word);
        try {
          if (k >= 2) row["age"] = parseAge(tokens[k - 1]);
        } catch (const std::invalid_argument& e) {
          scan.skipped.emplace_back(list + " line " + std::to_string(number),
                                    std::string(e.what()) + " (age left unknown)");
        }
        break;
      }
    }
  }
  return values;
}

}  // namespace

LayoutScan scanJsrtLayout(const JsrtLayout& layout) {
  LayoutScan scan;
  std::map<std::string, std::map<std::string, std::string>> masks;  // stem -> structure -> file
  if (!layout.masks.empty()) {
    const auto folders = scrFolders(layout.masks);
    if (folders.empty())
      throw io::IoError(layout.masks, "SCR masks",
                        "no 'right lung', 'left lung' or 'heart' folder under it");
    for (const auto& [structure, dirs] : folders)
      for (const auto& dir : dirs)
        for (const auto& [stem, file] : filesByStem(dir, structure + " masks"))
          masks[stem][structure] = file;
  }
  const auto clinical = readClinicalLists(layout.clinicalLists, scan);
  for (const auto& path : sortedFiles(layout.images, "JSRT images")) {
    if (lowerCase(path.extension().string()) != ".img") continue;
    const std::string stem = path.stem().string();
    const auto found = masks.find(stem);
    const auto structures =
        found == masks.end() ? std::map<std::string, std::string>{} : found->second;
    const auto known = clinical.find(stem);
    const auto attributes =
        known == clinical.end() ? std::map<std::string, double>{} : known->second;
    scan.cases.push_back({stem, path.string(), [=] {
                            ImportedCase c = readJsrtImage(path.string());
                            c.attributes = attributes;
                            for (const auto& [name, file] : structures) {
                              LabelMap mask = io::readGifLuminance(file);
                              checkSameSize(c, mask, file);
                              // SCR masks are 0 outside and 255 inside; anything bright is in.
                              for (auto& v : mask.pixels) v = v > 127 ? 1 : 0;
                              c.masks[name] = std::move(mask);
                            }
                            return c;
                          }});
  }
  if (scan.cases.empty())
    throw io::IoError(layout.images, "JSRT images", "no .IMG files in this folder");
  return scan;
}

}  // namespace cfx::data
