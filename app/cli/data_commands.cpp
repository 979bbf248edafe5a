#include "data_commands.h"

#include <cstdio>
#include <filesystem>

#include "argument_parser.h"
#include "chest_graph.h"
#include "console_monitor.h"
#include "dataset_check.h"
#include "dataset_merge.h"
#include "dicom_io.h"
#include "import_layouts.h"
#include "radiograph_reader.h"

namespace cfx::cli {
namespace {

int check(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx data check",
      "Check a data set: every image and mask readable and of one size, and every structure\n"
      "variable (a graph variable with a mask_label) equal to its mask's area. Prints the worst\n"
      "relative area error per structure; exits 1 when it exceeds --tolerance.");
  parser.required("data", "DIR", "data set folder (manifest.csv, graph.json)")
      .option("graph", "FILE", "causal graph (default: DIR/graph.json)")
      .option("tolerance", "PERCENT", "largest allowed relative area error", "0.5");
  if (!parser.parse(arguments)) return 0;
  const double tolerance = parser.getNumber("tolerance") / 100.0;
  ConsoleMonitor monitor;
  const data::DatasetCheck check = data::checkDataset(
      parser.get("data"), parser.has("graph") ? parser.get("graph") : "", monitor);
  std::printf("%zu rows, %ld with masks\nknown values:", check.rows, check.rowsWithMasks);
  for (const auto& [name, count] : check.known) std::printf(" %s %ld", name.c_str(), count);
  std::printf("\n");
  bool ok = true;
  if (!check.structures.empty()) {
    std::printf("%-18s %9s %16s %16s  %s\n", "structure", "labelled", "mean rel. error",
                "worst rel. error", "worst id");
    for (const auto& s : check.structures) {
      std::printf("%-18s %9ld %15.4f%% %15.4f%%  %s\n", s.variable.c_str(), s.labelledRows,
                  100.0 * s.meanRelativeError, 100.0 * s.worstRelativeError, s.worstId.c_str());
      ok = ok && s.worstRelativeError <= tolerance;
    }
  }
  std::printf("%s\n",
              ok ? "OK" : "FAILED: an area differs from its mask by more than the tolerance");
  return ok ? 0 : 1;
}

std::string commandLine(const std::string& name, const std::vector<std::string>& arguments) {
  std::string line = name;
  for (const auto& a : arguments) line += " " + a;
  return line;
}

int import(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx data import",
      "Import a public chest-radiograph data set from its own layout into this project's format\n"
      "(images, label maps, manifest.csv with empty cells for unknown values, graph.json with\n"
      "ranges fitted to the data), with import_report.txt (counts, every skipped image and why,\n"
      "values per variable) and import_report.png (histograms, overlays of a few cases).\n"
      "Layouts: folder SOURCE (images + masks + optional CSV: see the folder options),\n"
      "nlm-tb SOURCE (Montgomery or Shenzhen as NLM publishes them), jsrt SOURCE (the .IMG\n"
      "files; --scr-masks, --clinical), chexmask CSV (--images, --metadata-format, --metadata).");
  parser.positional("LAYOUT SOURCE", "the layout and the data set's folder", true)
      .required("out", "DIR", "new data set folder")
      .option("size", "PX", "image and label-map size (square)", "128")
      .option("seed", "S", "seed of the train/val/test split", "0")
      .option("val-fraction", "F", "share of the cases for validation", "0.2")
      .option("test-fraction", "F", "share of the cases for a test split (optional)", "0")
      .option("range-margin", "F", "graph ranges: the data's range widened by F of it each side",
              "0.1")
      .option("labels", "DIR", "folder: label maps with labels 1 right lung, 2 left lung, 3 heart")
      .repeated("mask", "VARIABLE=DIR",
                "folder: binary masks of one structure (right_lung_area, left_lung_area, "
                "heart_area)")
      .option("lung-masks", "DIR",
              "folder: one binary mask of both lungs per image, split by region")
      .option("attributes", "CSV", "folder: sex and age by image (named columns)")
      .option("id-column", "NAME", "folder: the CSV column holding the image's file name or stem",
              "id")
      .option("sex-column", "NAME", "folder: the CSV's sex column (M/F/male/female/1/0)", "sex")
      .option("age-column", "NAME", "folder: the CSV's age column (years, or e.g. 035Y)", "age")
      .flag("masks-required", "folder: skip images without a mask instead of importing them")
      .option("scr-masks", "DIR",
              "jsrt: the SCR masks (folders 'right lung', 'left lung', 'heart')")
      .repeated("clinical", "FILE", "jsrt: JSRT's clinical lists (CLNDAT_EN.txt, CNNDAT_EN.txt)")
      .option("images", "DIR", "chexmask: the image folder of the data set the CSV segments")
      .option("metadata-format", "NAME",
              "chexmask: padchest, mimic, chexpert, vindr or chestxray8 (sex and age)")
      .option("metadata", "CSV", "chexmask: the data set's metadata CSV")
      .option("patients", "CSV", "chexmask with mimic: MIMIC-IV's patients.csv")
      .option("min-quality", "D", "chexmask: the least RCA Dice (mean) a mask must have", "0.7")
      .option("limit", "N", "chexmask: import at most N masks (0: all)", "0");
  if (!parser.parse(arguments)) return 0;
  const auto& positionals = parser.positionals();
  if (positionals.size() != 2) throw UsageError("expected LAYOUT SOURCE, e.g. nlm-tb DIR");
  const std::string layout = positionals[0], source = positionals[1];
  data::LayoutScan scan;
  if (layout == "folder") {
    data::FolderLayout folder;
    folder.images = source;
    if (parser.has("labels")) folder.labelMaps = parser.get("labels");
    if (parser.has("lung-masks")) folder.lungMasks = parser.get("lung-masks");
    if (parser.has("attributes")) folder.attributes = parser.get("attributes");
    folder.idColumn = parser.get("id-column");
    folder.sexColumn = parser.get("sex-column");
    folder.ageColumn = parser.get("age-column");
    folder.masksRequired = parser.has("masks-required");
    for (const auto& spec : parser.all("mask")) {
      const auto equals = spec.find('=');
      const std::string name = spec.substr(0, equals);
      if (equals == std::string::npos || !data::chestStructureLabels().count(name))
        throw UsageError("--mask " + spec +
                         ": expected VARIABLE=DIR with VARIABLE right_lung_area, left_lung_area "
                         "or heart_area");
      folder.structures[name] = spec.substr(equals + 1);
    }
    scan = data::scanFolderLayout(folder);
  } else if (layout == "nlm-tb") {
    scan = data::scanNlmTbLayout(source);
  } else if (layout == "jsrt") {
    data::JsrtLayout jsrt;
    jsrt.images = source;
    if (parser.has("scr-masks")) jsrt.masks = parser.get("scr-masks");
    jsrt.clinicalLists = parser.all("clinical");
    scan = data::scanJsrtLayout(jsrt);
  } else if (layout == "chexmask") {
    data::ChexmaskLayout chexmask;
    chexmask.masksCsv = source;
    if (!parser.has("images")) throw UsageError("chexmask needs --images DIR");
    chexmask.images = parser.get("images");
    if (parser.has("metadata-format")) chexmask.metadataFormat = parser.get("metadata-format");
    if (parser.has("metadata")) chexmask.metadata = parser.get("metadata");
    if (parser.has("patients")) chexmask.patients = parser.get("patients");
    chexmask.minimumQuality = parser.getNumber("min-quality");
    chexmask.limit = parser.getInteger("limit", 0, 1L << 40);
    scan = data::scanChexmaskLayout(chexmask);
  } else {
    throw UsageError("unknown layout '" + layout + "'; expected folder, nlm-tb, jsrt or chexmask");
  }
  data::ImportOptions options;
  options.outDir = parser.get("out");
  options.size = int(parser.getInteger("size", 16, 1024));
  options.seed = std::uint64_t(parser.getInteger("seed", 0, 1L << 40));
  options.valFraction = parser.getNumber("val-fraction");
  options.testFraction = parser.getNumber("test-fraction");
  options.rangeMargin = parser.getNumber("range-margin");
  options.layout = layout;
  options.command = commandLine("cfx data import", arguments);
  ConsoleMonitor monitor;
  const auto summary = data::writeImportedDataset(scan, options, monitor);
  std::printf("%s", summary.reportText.c_str());
  std::printf("wrote %s (manifest.csv, graph.json, import_report.txt, import_report.png)\n",
              options.outDir.c_str());
  return 0;
}

int merge(const std::vector<std::string>& arguments) {
  ArgumentParser parser("cfx data merge",
                        "Combine data sets written by cfx data import into one (copies images and\n"
                        "masks, keeps splits and unknown values, fits the graph's ranges anew).");
  parser.positional("DIR", "data set folders (two or more)", true)
      .required("out", "DIR", "new data set folder")
      .option("range-margin", "F", "graph ranges: the data's range widened by F of it each side",
              "0.1");
  if (!parser.parse(arguments)) return 0;
  ConsoleMonitor monitor;
  const long rows = data::mergeDatasets(parser.positionals(), parser.get("out"),
                                        parser.getNumber("range-margin"), monitor);
  std::printf("wrote %s: %ld rows\n", parser.get("out").c_str(), rows);
  return 0;
}

int toDicom(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx data to-dicom",
      "Write a radiograph (PNG, JPEG or DICOM) as a DICOM Secondary Capture image\n"
      "with the patient's sex and age, e.g. to open a public data set's image as a\n"
      "study. Not marked synthetic: it is the radiograph itself.");
  parser.required("image", "FILE", "the radiograph")
      .required("out", "FILE.dcm", "the DICOM file to write (never the input)")
      .option("sex", "M|F", "PatientSex")
      .option("age", "YEARS", "PatientAge")
      .option("patient-id", "ID", "PatientID (default: the file's stem)")
      .option("description", "TEXT", "where the image comes from (DerivationDescription)", "");
  if (!parser.parse(arguments)) return 0;
  const std::string in = parser.get("image"), out = parser.get("out");
  std::error_code error;
  if (std::filesystem::exists(out, error) && std::filesystem::equivalent(in, out, error))
    throw UsageError("--out must not be the input");
  io::Radiograph radiograph = io::readRadiograph(in);
  io::RadiographMetadata meta;
  if (parser.has("sex")) meta.patientSex = parser.get("sex") == "M" ? 'M' : 'F';
  if (parser.has("sex") && parser.get("sex") != "M" && parser.get("sex") != "F")
    throw UsageError("--sex must be M or F");
  if (parser.has("age")) meta.patientAgeYears = parser.getNumber("age");
  meta.dicom = io::DicomIdentity{};
  meta.dicom->patientId = parser.has("patient-id") ? parser.get("patient-id")
                                                   : std::filesystem::path(in).stem().string();
  meta.dicom->patientName = meta.dicom->patientId;
  io::writeDicom(out, radiograph.image, meta,
                 {"CHEST PA", parser.get("description"), false, 1, false});
  std::printf("wrote %s\n", out.c_str());
  return 0;
}

}  // namespace

int runDataCommand(const std::vector<std::string>& arguments) {
  const std::vector<std::string> rest =
      arguments.empty() ? arguments
                        : std::vector<std::string>(arguments.begin() + 1, arguments.end());
  if (!arguments.empty() && arguments[0] == "check") return check(rest);
  if (!arguments.empty() && arguments[0] == "import") return import(rest);
  if (!arguments.empty() && arguments[0] == "merge") return merge(rest);
  if (!arguments.empty() && arguments[0] == "to-dicom") return toDicom(rest);
  throw UsageError("expected a subcommand: cfx data check|import|merge|to-dicom --help");
}

}  // namespace cfx::cli
