#include "manifest.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "atomic_file.h"
#include "csv_record.h"
#include "file_limits.h"
#include "io_error.h"
#include "text_format.h"

namespace cfx::data {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxReportedProblems = 25;
// A manifest of a million rows is about 100 MB; more is not a manifest.
constexpr std::uintmax_t kMaxManifestBytes = 256u << 20;
const char* const kSplits[] = {"train", "val", "test"};

std::string quoteCsv(const std::string& field) {
  if (field.find_first_of(",\"") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string formatValue(double v) {
  std::ostringstream out;
  out.precision(10);
  out << v;
  return out.str();
}

}  // namespace

std::vector<const ManifestRow*> Manifest::split(const std::string& name) const {
  std::vector<const ManifestRow*> result;
  for (const auto& row : rows)
    if (name == "all" || row.split == name) result.push_back(&row);
  return result;
}

namespace {

// True when `full` (already normalised) lies under `folder`.
bool isInside(const fs::path& full, const fs::path& folder) {
  const fs::path relative = full.lexically_relative(folder);
  return !relative.empty() && *relative.begin() != "..";
}

}  // namespace

Manifest readManifest(const std::string& path, const CausalGraph& graph) {
  std::ifstream in(path);
  if (!in) throw io::IoError(path, "open", "cannot read the manifest");
  checkFileSize(path, kMaxManifestBytes, "a manifest");
  const fs::path folder = fs::absolute(fs::path(path).parent_path()).lexically_normal();
  const char* allow = std::getenv("CFX_ALLOW_PATHS_OUTSIDE_DATASET");
  const bool outsideAllowed = allow && std::string(allow) == "1";

  std::string header;
  if (!std::getline(in, header))
    throw io::IoError(path, "line 1", "empty file; expected a header row");
  // Spreadsheet programs start UTF-8 files with a byte-order mark; it is not part of a name.
  if (header.rfind("\xEF\xBB\xBF", 0) == 0) header.erase(0, 3);
  bool ok = true;
  const auto columns = splitCsvRecord(header, ok);
  std::map<std::string, size_t> column;
  std::set<std::string> expected = {"id", "image", "mask", "split"};
  for (const auto& v : graph.variables()) expected.insert(v.name);
  for (size_t c = 0; c < columns.size(); ++c) {
    if (!expected.count(columns[c])) {
      std::string list;
      for (const auto& e : expected) list += (list.empty() ? "" : ", ") + e;
      throw io::IoError(path, "line 1, column " + std::to_string(c + 1),
                        "unknown column '" + columns[c] + "'; expected the columns " + list);
    }
    if (!column.emplace(columns[c], c).second)
      throw io::IoError(path, "line 1", "column '" + columns[c] + "' appears twice");
  }
  for (const auto& name : expected)
    if (name != "mask" && !column.count(name))
      throw io::IoError(path, "line 1", "missing column '" + name + "'");

  Manifest manifest;
  manifest.path = path;
  std::vector<std::string> problems;
  std::set<std::string> ids;
  std::string text;
  for (int line = 2; std::getline(in, text); ++line) {
    if (text.empty() || text == "\r") continue;
    const std::string where = "line " + std::to_string(line);
    const auto fields = splitCsvRecord(text, ok);
    if (!ok) {
      problems.push_back(where + ": unbalanced quotes");
      continue;
    }
    if (fields.size() != columns.size()) {
      problems.push_back(where + ": " + std::to_string(fields.size()) + " fields, expected " +
                         std::to_string(columns.size()));
      continue;
    }
    ManifestRow row;
    row.line = line;
    row.id = fields[column.at("id")];
    row.split = fields[column.at("split")];
    const size_t before = problems.size();
    if (row.id.empty())
      problems.push_back(where + ": empty id");
    else if (!ids.insert(row.id).second)
      problems.push_back(where + ": duplicate id '" + row.id + "'");
    if (std::find(std::begin(kSplits), std::end(kSplits), row.split) == std::end(kSplits))
      problems.push_back(where + ": split '" + row.split + "' is not train, val or test");
    const auto resolve = [&](const std::string& relative, const char* what) {
      if (relative.empty()) {
        problems.push_back(where + ": empty " + what + " path");
        return std::string();
      }
      const fs::path full =
          (fs::path(relative).is_absolute() ? fs::path(relative) : folder / relative)
              .lexically_normal();
      if (!outsideAllowed && !isInside(full, folder)) {
        problems.push_back(where + ": " + what + " path '" + relative +
                           "' leads outside the data set's folder (set "
                           "CFX_ALLOW_PATHS_OUTSIDE_DATASET=1 to allow it)");
        return std::string();
      }
      std::error_code error;
      if (!fs::is_regular_file(full, error))
        problems.push_back(where + ": " + what + " file not found: " + full.string());
      return full.string();
    };
    row.image = resolve(fields[column.at("image")], "image");
    if (column.count("mask") && !fields[column.at("mask")].empty())
      row.mask = resolve(fields[column.at("mask")], "mask");
    for (const auto& variable : graph.variables()) {
      const std::string& value = fields[column.at(variable.name)];
      if (value.empty()) continue;  // unknown for this image
      const auto parsed = graph.parseValue(variable, value);
      if (!parsed) {
        problems.push_back(where + ": " + variable.name + " = '" + value +
                           "' is not a finite number" +
                           (variable.categories.empty() ? "" : " or a category name"));
        continue;
      }
      if (variable.kind != VariableKind::Continuous &&
          (*parsed != std::round(*parsed) || *parsed < 0 ||
           *parsed >=
               (variable.kind == VariableKind::Binary ? 2 : double(variable.categories.size()))))
        problems.push_back(where + ": " + variable.name + " = '" + value +
                           "' is not a valid category");
      else if (variable.kind == VariableKind::Continuous &&
               (*parsed < variable.min || *parsed > variable.max))
        problems.push_back(where + ": " + variable.name + " = '" + value +
                           "' is outside the graph's range " + formatCell(variable.min) + " to " +
                           formatCell(variable.max) +
                           (variable.unit.empty() ? "" : " " + variable.unit));
      row.attributes[variable.name] = *parsed;
    }
    if (problems.size() == before) manifest.rows.push_back(std::move(row));
  }
  if (!problems.empty()) {
    std::set<std::string> badLines;
    for (const auto& p : problems) badLines.insert(p.substr(0, p.find(':')));
    std::string message = std::to_string(problems.size()) + " problem(s) in " +
                          std::to_string(badLines.size()) + " row(s):";
    for (size_t i = 0; i < problems.size() && i < kMaxReportedProblems; ++i)
      message += "\n  " + problems[i];
    if (problems.size() > kMaxReportedProblems)
      message += "\n  ... and " + std::to_string(problems.size() - kMaxReportedProblems) + " more";
    throw io::IoError(path, "rows", message);
  }
  if (manifest.rows.empty()) throw io::IoError(path, "rows", "no data rows");
  return manifest;
}

void writeManifest(const std::string& path, const std::vector<ManifestRow>& rows,
                   const CausalGraph& graph) {
  const fs::path folder = fs::path(path).parent_path();
  const auto relative = [&](const std::string& p) {
    return p.empty() ? p : fs::path(p).lexically_relative(folder).generic_string();
  };
  std::string text = "id,image,mask,split";
  for (const auto& v : graph.variables()) text += "," + v.name;
  text += "\n";
  for (const auto& row : rows) {
    text += quoteCsv(row.id) + "," + quoteCsv(relative(row.image)) + "," +
            quoteCsv(relative(row.mask)) + "," + row.split;
    for (const auto& v : graph.variables()) {
      const auto it = row.attributes.find(v.name);
      text += "," + (it == row.attributes.end() ? std::string() : formatValue(it->second));
    }
    text += "\n";
  }
  io::writeFileAtomically(path, std::vector<unsigned char>(text.begin(), text.end()));
}

}  // namespace cfx::data
