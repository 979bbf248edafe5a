#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "image_buffer.h"
#include "work_monitor.h"

namespace cfx::data {

// One radiograph of a public data set, read in its own layout: the image at its own size, a
// binary mask (non-zero inside) per structure it labels, named by the graph variable of that
// structure's area (e.g. "right_lung_area"), and the attributes it records (sex 0 = F / 1 = M,
// age in years). What a case does not have is simply absent.
struct ImportedCase {
  GrayImage image;
  int sourceBitDepth = 8;
  std::map<std::string, LabelMap> masks;
  std::map<std::string, double> attributes;
};

// A case found in the source folder; `load` reads it and throws (with a message naming the file
// and the problem) when it cannot, and the import then skips it with that reason.
struct CaseSource {
  std::string id;
  std::string origin;  // the file a user would look at first, for the report
  std::function<ImportedCase()> load;
};

// What a layout found before reading anything: the cases, and what it already skipped (an image
// without its mask where the layout requires one, an unreadable clinical file, ...).
struct LayoutScan {
  std::vector<CaseSource> cases;
  std::vector<std::pair<std::string, std::string>> skipped;  // origin, reason
};

struct ImportOptions {
  std::string outDir;
  int size = 128;
  std::uint64_t seed = 0;
  double valFraction = 0.2;
  double testFraction = 0.0;  // a test split is optional
  double rangeMargin = 0.1;   // graph ranges: the data's range widened by this share each side
  std::string layout;         // recorded in the report
  std::string command;
};

struct ImportSummary {
  long imported = 0;
  std::vector<std::pair<std::string, std::string>> skipped;  // origin, reason
  std::map<std::string, long> known;                         // per variable
  std::map<std::string, double> mean;                        // per variable, over known values
  std::map<std::string, long> splits;
  long sidesSwapped = 0;  // cases whose right lung lies right of the left lung in the image
  std::string reportText;
};

// Writes the project's data-set format into options.outDir: images/ (PNG at size x size, 16-bit
// when the source had more than 8 bits), masks/ (label maps with the graph's mask labels, for the
// structures each case labels), manifest.csv (empty cells for unknown values), graph.json (the
// chest-radiograph graph with ranges fitted to these data), import_report.txt and
// import_report.png (histograms of sex, age and areas, and contour overlays of a few cases). All
// files appear together or not at all; an existing data set in outDir is refused.
ImportSummary writeImportedDataset(const LayoutScan& scan, const ImportOptions& options,
                                   WorkMonitor& monitor);

}  // namespace cfx::data
