#include "import_layouts.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "chest_graph.h"
#include "clinical_reading.h"
#include "csv_record.h"
#include "file_limits.h"
#include "io_error.h"
#include "layout_files.h"
#include "lung_mask_split.h"
#include "png_io.h"
#include "radiograph_reader.h"

namespace cfx::data {
namespace fs = std::filesystem;
namespace {

void addSplitLungs(ImportedCase& c, const std::string& maskPath) {
  const LabelMap both = readMask(maskPath);
  checkSameSize(c, both, maskPath);
  try {
    auto [right, left] = splitLungMask(both);
    c.masks["right_lung_area"] = std::move(right);
    c.masks["left_lung_area"] = std::move(left);
  } catch (const std::invalid_argument& e) {
    throw io::IoError(maskPath, "lungs", e.what());
  }
}

// Attributes by id from a CSV with named columns.
std::map<std::string, std::map<std::string, double>> readAttributeTable(const FolderLayout& layout,
                                                                        LayoutScan& scan) {
  std::map<std::string, std::map<std::string, double>> table;
  const CsvTable csv = readCsvTable(layout.attributes, scan);
  const int id = csv.column({layout.idColumn}), sex = csv.column({layout.sexColumn}),
            age = csv.column({layout.ageColumn});
  if (id < 0)
    throw io::IoError(layout.attributes, "line 1",
                      "no column '" + layout.idColumn + "' (the image's file name or stem)");
  if (sex < 0 && age < 0)
    throw io::IoError(
        layout.attributes, "line 1",
        "neither a '" + layout.sexColumn + "' nor an '" + layout.ageColumn + "' column");
  for (size_t r = 0; r < csv.rows.size(); ++r) {
    const auto& fields = csv.rows[r];
    auto& row = table[fs::path(fields[size_t(id)]).stem().string()];
    try {
      if (sex >= 0 && !fields[size_t(sex)].empty()) row["sex"] = parseSex(fields[size_t(sex)]);
      if (age >= 0 && !fields[size_t(age)].empty()) row["age"] = parseAge(fields[size_t(age)]);
    } catch (const std::exception& e) {
      scan.skipped.emplace_back(layout.attributes + " line " + std::to_string(csv.lines[r]),
                                std::string(e.what()) + " (the row's values are left unknown)");
      row.clear();
    }
  }
  return table;
}

}  // namespace

LayoutScan scanFolderLayout(const FolderLayout& layout) {
  LayoutScan scan;
  std::map<std::string, std::string> labelMaps, lungMasks;
  std::map<std::string, std::map<std::string, std::string>> structureMasks;
  if (!layout.labelMaps.empty()) labelMaps = filesByStem(layout.labelMaps, "label maps");
  if (!layout.lungMasks.empty()) lungMasks = filesByStem(layout.lungMasks, "lung masks");
  for (const auto& [variable, dir] : layout.structures)
    structureMasks[variable] = filesByStem(dir, variable + " masks");
  const auto attributes = layout.attributes.empty()
                              ? std::map<std::string, std::map<std::string, double>>{}
                              : readAttributeTable(layout, scan);
  for (const auto& path : sortedFiles(layout.images, "images")) {
    if (!isImageFile(path)) continue;
    const std::string stem = path.stem().string();
    const auto lookup = [&](const std::map<std::string, std::string>& files) {
      const auto it = files.find(stem);
      return it == files.end() ? std::string() : it->second;
    };
    const std::string labelMap = lookup(labelMaps), lungMask = lookup(lungMasks);
    std::map<std::string, std::string> perStructure;
    for (const auto& [variable, files] : structureMasks)
      if (const auto found = lookup(files); !found.empty()) perStructure[variable] = found;
    if (layout.masksRequired && labelMap.empty() && lungMask.empty() && perStructure.empty()) {
      scan.skipped.emplace_back(path.string(), "no mask found for it");
      continue;
    }
    const auto known = attributes.find(stem);
    const std::map<std::string, double> values =
        known == attributes.end() ? std::map<std::string, double>{} : known->second;
    scan.cases.push_back({stem, path.string(), [=] {
                            ImportedCase c = readImage(path.string());
                            for (const auto& [name, value] : values) c.attributes[name] = value;
                            if (!labelMap.empty()) {
                              const LabelMap labels = io::readLabelPng(labelMap);
                              checkSameSize(c, labels, labelMap);
                              // Label maps carry this project's labels; each present one counts.
                              for (const auto& [name, label] : chestStructureLabels()) {
                                LabelMap mask(labels.width, labels.height, 0);
                                bool any = false;
                                for (size_t p = 0; p < labels.pixels.size(); ++p)
                                  if (labels.pixels[p] == label) mask.pixels[p] = 1, any = true;
                                if (any) c.masks[name] = std::move(mask);
                              }
                            }
                            if (!lungMask.empty()) addSplitLungs(c, lungMask);
                            for (const auto& [name, file] : perStructure) {
                              LabelMap mask = readMask(file);
                              checkSameSize(c, mask, file);
                              c.masks[name] = std::move(mask);
                            }
                            return c;
                          }});
  }
  if (scan.cases.empty() && scan.skipped.empty())
    throw io::IoError(layout.images, "images", "no PNG or DICOM files in this folder");
  return scan;
}

LayoutScan scanNlmTbLayout(const std::string& dir) {
  const fs::path root(dir);
  std::error_code error;
  const auto firstFolder = [&](std::initializer_list<const char*> names) {
    for (const char* name : names)
      if (fs::is_directory(root / name, error)) return (root / name).string();
    return std::string();
  };
  const std::string images = firstFolder({"CXR_png", "images"});
  if (images.empty())
    throw io::IoError(dir, "layout",
                      "neither CXR_png/ nor images/ here; expected an NLM tuberculosis set "
                      "(Montgomery or Shenzhen) as NLM publishes it");
  FolderLayout layout;
  layout.images = images;
  const std::string left = firstFolder({"ManualMask/leftMask"}),
                    right = firstFolder({"ManualMask/rightMask"});
  if (!left.empty() && !right.empty()) {
    layout.structures = {{"left_lung_area", left}, {"right_lung_area", right}};
  } else {
    layout.lungMasks = firstFolder({"mask", "masks"});
    if (layout.lungMasks.empty())
      throw io::IoError(dir, "layout",
                        "no masks: expected ManualMask/leftMask/ and ManualMask/rightMask/ "
                        "(Montgomery) or mask/ (Shenzhen)");
  }
  LayoutScan scan = scanFolderLayout(layout);
  const std::string readings = firstFolder({"ClinicalReadings"});
  if (readings.empty()) return scan;
  const auto texts = filesByStem(readings, "clinical readings");
  for (auto& c : scan.cases) {
    const auto text = texts.find(c.id);
    if (text == texts.end()) continue;
    const std::string path = text->second;
    c.load = [path, load = c.load] {
      ImportedCase imported = load();
      try {
        for (const auto& [name, value] : parseClinicalReading(readText(path)))
          imported.attributes[name] = value;
      } catch (const std::invalid_argument& e) {
        throw io::IoError(path, "clinical reading", e.what());
      }
      return imported;
    };
  }
  return scan;
}

}  // namespace cfx::data
