#include <algorithm>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "clinical_reading.h"
#include "csv_record.h"
#include "import_layouts.h"
#include "io_error.h"
#include "layout_files.h"

namespace cfx::data {
namespace fs = std::filesystem;
namespace {

// The key that joins an image to its metadata across data sets: the last three components of
// its path without the extension (unique in CheXpert's patient/study/view layout, and simply the
// file's stem where stems are unique).
std::string joinKey(const std::string& id) {
  fs::path path(id);
  path.replace_extension();
  std::vector<std::string> parts;
  for (const auto& part : path) parts.push_back(part.string());
  std::string key;
  for (size_t i = parts.size() > 3 ? parts.size() - 3 : 0; i < parts.size(); ++i)
    key += (key.empty() ? "" : "/") + parts[i];
  return key;
}

double number(const std::string& text, const std::string& what) {
  size_t used = 0;
  const double value = std::stod(text, &used);
  if (used != text.size()) throw std::invalid_argument(what + " '" + text + "' is not a number");
  return value;
}

// Sex and age by join key from a data set's metadata.
std::map<std::string, std::map<std::string, double>> readMetadata(const ChexmaskLayout& layout,
                                                                  LayoutScan& scan) {
  std::map<std::string, std::map<std::string, double>> values;
  const std::string& format = layout.metadataFormat;
  if (format.empty() || format == "vindr") return values;  // VinDr: from the DICOM tags
  if (layout.metadata.empty())
    throw io::IoError("cfx data import chexmask", "--metadata",
                      "the " + format + " metadata CSV is needed for sex and age");
  const CsvTable table = readCsvTable(layout.metadata, scan);
  std::map<std::string, std::map<std::string, double>> patients;  // MIMIC: by subject_id
  if (format == "mimic") {
    if (layout.patients.empty())
      throw io::IoError("cfx data import chexmask", "--patients",
                        "MIMIC needs MIMIC-IV's patients.csv (subject_id, gender, anchor_age)");
    const CsvTable p = readCsvTable(layout.patients, scan);
    const int subject = p.require({"subject_id"}), gender = p.require({"gender"}),
              age = p.require({"anchor_age"});
    for (const auto& row : p.rows) {
      auto& v = patients[row[size_t(subject)]];
      try {
        v["sex"] = parseSex(row[size_t(gender)]);
        v["age"] = parseAge(row[size_t(age)]);
      } catch (const std::exception&) {
        v.clear();
      }
    }
  }
  int id = -1, sex = -1, age = -1, birth = -1, date = -1, subject = -1;
  if (format == "padchest") {
    id = table.require({"ImageID"}), sex = table.require({"PatientSex_DICOM"});
    birth = table.require({"PatientBirth"}), date = table.require({"StudyDate_DICOM"});
  } else if (format == "chexpert") {
    id = table.require({"Path"}), sex = table.require({"Sex"}), age = table.require({"Age"});
  } else if (format == "chestxray8") {
    id = table.require({"Image Index"}), sex = table.require({"Patient Gender"});
    age = table.require({"Patient Age"});
  } else if (format == "mimic") {
    id = table.require({"dicom_id"}), subject = table.require({"subject_id"});
  } else {
    throw io::IoError("cfx data import chexmask", "--metadata-format",
                      "'" + format + "' is not padchest, mimic, chexpert, vindr or chestxray8");
  }
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    auto& v = values[joinKey(row[size_t(id)])];
    try {
      if (subject >= 0) {
        const auto found = patients.find(row[size_t(subject)]);
        if (found != patients.end()) v = found->second;
        continue;
      }
      const std::string& s = row[size_t(sex)];
      if (!s.empty() && s != "Unknown" && s != "O") v["sex"] = parseSex(s);
      if (age >= 0 && !row[size_t(age)].empty()) v["age"] = parseAge(row[size_t(age)]);
      if (birth >= 0 && !row[size_t(birth)].empty() && row[size_t(date)].size() >= 4)
        v["age"] = number(row[size_t(date)].substr(0, 4), "study year") -
                   number(row[size_t(birth)], "birth year");
    } catch (const std::exception& e) {
      scan.skipped.emplace_back(table.path + " line " + std::to_string(table.lines[r]),
                                std::string(e.what()) + " (sex and age left unknown)");
      v.clear();
    }
  }
  return values;
}

// Every image under `root`, by join key.
std::map<std::string, std::string> imageIndex(const std::string& root) {
  std::map<std::string, std::string> index;
  std::error_code error;
  if (!fs::is_directory(root, error)) throw io::IoError(root, "images", "not a folder");
  for (auto it = fs::recursive_directory_iterator(root, error);
       it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (error) break;
    if (it->is_regular_file() && isImageFile(it->path()))
      index.emplace(joinKey(it->path().lexically_relative(root).string()), it->path().string());
  }
  return index;
}

}  // namespace

LabelMap decodeChexmaskRle(const std::string& rle, int height, int width) {
  if (height <= 0 || width <= 0) throw std::invalid_argument("mask size must be positive");
  LabelMap mask(width, height, 0);
  std::istringstream in(rle);
  const long long total = (long long)height * width;
  long long start = 0, length = 0;
  while (in >> start) {
    if (!(in >> length)) throw std::invalid_argument("odd number of values in the run lengths");
    if (start < 1 || length < 0 || start - 1 + length > total)
      throw std::invalid_argument("run " + std::to_string(start) + " " + std::to_string(length) +
                                  " lies outside the " + std::to_string(height) + " x " +
                                  std::to_string(width) + " mask");
    std::fill_n(mask.pixels.begin() + (start - 1), length, std::uint8_t(1));
  }
  if (!in.eof()) throw std::invalid_argument("run lengths hold something other than numbers");
  return mask;
}

std::string encodeChexmaskRle(const LabelMap& mask) {
  std::string text;
  for (size_t p = 0; p < mask.pixels.size();) {
    if (!mask.pixels[p]) {
      ++p;
      continue;
    }
    size_t end = p;
    while (end < mask.pixels.size() && mask.pixels[end]) ++end;
    text += (text.empty() ? "" : " ") + std::to_string(p + 1) + " " + std::to_string(end - p);
    p = end;
  }
  return text;
}

LayoutScan scanChexmaskLayout(const ChexmaskLayout& layout) {
  LayoutScan scan;
  const CsvTable masks = readCsvTable(layout.masksCsv, scan);
  const int id = masks.require({"ImageID", "dicom_id", "Image Index", "Path", "image_id"});
  const int right = masks.require({"Right Lung"}), left = masks.require({"Left Lung"}),
            heart = masks.column({"Heart"}), height = masks.require({"Height"}),
            width = masks.require({"Width"}),
            quality = masks.column({"Dice RCA (Mean)", "Dice RCA (Max)"});
  const auto metadata = readMetadata(layout, scan);
  const auto images = imageIndex(layout.images);
  for (size_t r = 0; r < masks.rows.size(); ++r) {
    if (layout.limit > 0 && long(scan.cases.size()) >= layout.limit) break;
    const auto& row = masks.rows[r];
    const std::string where = layout.masksCsv + " line " + std::to_string(masks.lines[r]);
    const std::string key = joinKey(row[size_t(id)]);
    if (quality >= 0) {
      double q = 0;
      try {
        q = number(row[size_t(quality)], "quality");
      } catch (const std::exception&) {
        scan.skipped.emplace_back(where, "quality '" + row[size_t(quality)] + "' is not a number");
        continue;
      }
      if (q < layout.minimumQuality) {
        scan.skipped.emplace_back(where, "quality (RCA Dice) " + row[size_t(quality)] +
                                             " below the threshold " +
                                             std::to_string(layout.minimumQuality));
        continue;
      }
    }
    const auto image = images.find(key);
    if (image == images.end()) {
      scan.skipped.emplace_back(where, "no image '" + row[size_t(id)] + "' under " + layout.images);
      continue;
    }
    const auto known = metadata.find(key);
    const auto attributes =
        known == metadata.end() ? std::map<std::string, double>{} : known->second;
    std::map<std::string, std::string> encoded = {{"right_lung_area", row[size_t(right)]},
                                                  {"left_lung_area", row[size_t(left)]}};
    if (heart >= 0) encoded["heart_area"] = row[size_t(heart)];
    const std::string h = row[size_t(height)], w = row[size_t(width)], imagePath = image->second;
    scan.cases.push_back({key, where, [=] {
                            ImportedCase c = readImage(imagePath);
                            for (const auto& [name, value] : attributes) c.attributes[name] = value;
                            int rows = 0, columns = 0;
                            try {
                              rows = int(number(h, "Height"));
                              columns = int(number(w, "Width"));
                              for (const auto& [name, rle] : encoded)
                                if (!rle.empty())
                                  c.masks[name] = decodeChexmaskRle(rle, rows, columns);
                            } catch (const std::exception& e) {
                              throw io::IoError(where, "masks", e.what());
                            }
                            for (const auto& [name, mask] : c.masks) checkSameSize(c, mask, where);
                            return c;
                          }});
  }
  return scan;
}

}  // namespace cfx::data
