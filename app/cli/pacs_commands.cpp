#include "pacs_commands.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "argument_parser.h"
#include "console_monitor.h"
#include "pacs_client.h"
#include "pacs_options.h"

namespace cfx::cli {
namespace fs = std::filesystem;
namespace {

std::string shorten(const std::string& text, size_t width) {
  return text.size() <= width ? text : text.substr(0, width - 1) + "~";
}

}  // namespace

int runPacsEcho(const std::vector<std::string>& arguments) {
  ArgumentParser parser("cfx pacs echo", "Test a PACS node with C-ECHO (verification).");
  declareNodeOptions(parser, "node", true);
  if (!parser.parse(arguments)) return 0;
  pacs::PacsClient client(nodeFromOptions(parser, "node"));
  const double ms = client.echo();
  std::printf("C-ECHO %s as %s: ok in %.1f ms\n", pacs::describe(client.node()).c_str(),
              client.node().callingAeTitle.c_str(), ms);
  return 0;
}

int runPacsFind(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx pacs find",
      "Search a PACS (C-FIND, Study Root): studies matching the keys, or with --study the series\n"
      "of one study. Names take the wildcards * and ?; dates are YYYYMMDD.");
  declareNodeOptions(parser, "node", true);
  parser.option("patient-name", "NAME", "patient name, e.g. DOE^J*")
      .option("patient-id", "ID", "patient ID")
      .option("accession", "NUMBER", "accession number")
      .option("from", "YYYYMMDD", "study date on or after")
      .option("to", "YYYYMMDD", "study date on or before")
      .repeated("modality", "CODE", "modality in the study (CR, DX, ...); repeat for several")
      .option("study", "UID", "list the series of this study instead");
  if (!parser.parse(arguments)) return 0;
  pacs::PacsClient client(nodeFromOptions(parser, "node"));
  const auto start = std::chrono::steady_clock::now();
  const auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  if (parser.has("study")) {
    const auto series = client.findSeries(parser.get("study"));
    std::printf("%-7s %-9s %-10s %-9s %-36s %s\n", "number", "modality", "body part", "images",
                "description", "series UID");
    for (const auto& s : series)
      std::printf("%-7d %-9s %-10s %-9d %-36s %s\n", s.seriesNumber, s.modality.c_str(),
                  s.bodyPart.c_str(), s.instanceCount, shorten(s.seriesDescription, 36).c_str(),
                  s.seriesInstanceUid.c_str());
    std::printf("%zu series (%.2f s)\n", series.size(), seconds());
    return 0;
  }
  pacs::StudyQuery query;
  if (parser.has("patient-name")) query.patientName = parser.get("patient-name");
  if (parser.has("patient-id")) query.patientId = parser.get("patient-id");
  if (parser.has("accession")) query.accessionNumber = parser.get("accession");
  if (parser.has("from")) query.dateFrom = parser.get("from");
  if (parser.has("to")) query.dateTo = parser.get("to");
  query.modalities = parser.all("modality");
  const auto studies = client.findStudies(query);
  std::printf("%-24s %-14s %-9s %-10s %-7s %-7s %s\n", "patient", "patient ID", "date",
              "modalities", "series", "images", "study UID");
  for (const auto& s : studies)
    std::printf("%-24s %-14s %-9s %-10s %-7d %-7d %s\n", shorten(s.patientName, 24).c_str(),
                shorten(s.patientId, 14).c_str(), s.studyDate.c_str(), s.modalities.c_str(),
                s.seriesCount, s.instanceCount, s.studyInstanceUid.c_str());
  std::printf("%zu studies (%.2f s)\n", studies.size(), seconds());
  return 0;
}

int runPacsGet(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx pacs get",
      "Retrieve a study (every series, or one) into a folder: OUT/<series UID>/<SOP UID>.dcm, by\n"
      "C-GET or by C-MOVE to a storage SCP run for the transfer. OUT appears complete or not at\n"
      "all.");
  declareNodeOptions(parser, "node", true);
  parser.required("study", "UID", "Study Instance UID")
      .option("series", "UID", "only this series")
      .required("out", "DIR", "folder to create (must not exist yet)");
  if (!parser.parse(arguments)) return 0;
  pacs::PacsClient client(nodeFromOptions(parser, "node"));
  const fs::path out = parser.get("out");
  if (fs::exists(out)) throw UsageError("--out " + out.string() + " exists already");
  const fs::path partial = out.string() + ".partial";
  fs::remove_all(partial);
  ConsoleMonitor monitor;
  std::vector<pacs::SeriesMatch> series = client.findSeries(parser.get("study"));
  if (parser.has("series"))
    series.erase(
        std::remove_if(series.begin(), series.end(),
                       [&](const auto& s) { return s.seriesInstanceUid != parser.get("series"); }),
        series.end());
  if (series.empty())
    throw pacs::PacsError(pacs::describe(client.node()) + ": no such study or series");
  size_t files = 0;
  int failed = 0;
  double seconds = 0;
  try {
    for (const auto& s : series) {
      const auto retrieved =
          client.retrieveSeries(s.studyInstanceUid, s.seriesInstanceUid,
                                (partial / s.seriesInstanceUid).string(), monitor, s.instanceCount);
      files += retrieved.files.size();
      failed += retrieved.failed;
      seconds += retrieved.seconds;
    }
  } catch (...) {
    fs::remove_all(partial);
    throw;
  }
  fs::rename(partial, out);
  std::printf("retrieved %zu instance(s) in %zu series from %s by %s in %.2f s into %s%s\n", files,
              series.size(), pacs::describe(client.node()).c_str(),
              client.node().retrieve == pacs::RetrieveMethod::Move ? "C-MOVE" : "C-GET", seconds,
              out.string().c_str(),
              failed ? (" (" + std::to_string(failed) + " the node could not send)").c_str() : "");
  return failed ? 1 : 0;
}

int runPacsStore(const std::vector<std::string>& arguments) {
  ArgumentParser parser("cfx pacs store", "Send DICOM files to a PACS (C-STORE), one by one.");
  declareNodeOptions(parser, "node", true);
  parser.positional("FILE", "DICOM files to send", true);
  if (!parser.parse(arguments)) return 0;
  pacs::PacsClient client(nodeFromOptions(parser, "node"));
  for (const auto& file : parser.positionals()) {
    const auto stored = client.store(file);
    std::printf("stored %s as %s in %.2f s\n", file.c_str(), stored.sopInstanceUid.c_str(),
                stored.seconds);
  }
  return 0;
}

int runPacsNodes(const std::vector<std::string>& arguments) {
  ArgumentParser parser("cfx pacs nodes", "List the nodes of the node file.");
  parser.option("nodes", "FILE", "node file (default: " + pacs::defaultNodesPath() + ")");
  if (!parser.parse(arguments)) return 0;
  const std::string path = nodesFile(parser);
  if (!fs::exists(path)) {
    std::printf("no node file %s (cfx pacs add-node creates it)\n", path.c_str());
    return 0;
  }
  for (const auto& node : pacs::loadNodes(path))
    std::printf("%-16s %-32s as %-16s %s\n", node.name.c_str(), pacs::describe(node).c_str(),
                node.callingAeTitle.c_str(),
                node.retrieve == pacs::RetrieveMethod::Move
                    ? ("C-MOVE to port " + std::to_string(node.receivePort)).c_str()
                    : "C-GET");
  return 0;
}

int runPacsAddNode(const std::vector<std::string>& arguments) {
  ArgumentParser parser("cfx pacs add-node",
                        "Add (or replace) a named node in the node file: cfx pacs add-node NAME "
                        "--node AET@HOST:PORT [options].");
  declareNodeOptions(parser, "node", true);
  parser.positional("NAME", "the node's name", true);
  if (!parser.parse(arguments)) return 0;
  if (parser.positionals().size() != 1) throw UsageError("expected one NAME");
  if (!pacs::parseNodeAddress(parser.get("node")))
    throw UsageError("--node: expected AET@HOST:PORT, got '" + parser.get("node") + "'");
  pacs::PacsNode node = nodeFromOptions(parser, "node");
  node.name = parser.positionals()[0];
  const std::string path = nodesFile(parser);
  std::vector<pacs::PacsNode> all = pacs::loadNodesIfPresent(path);
  all.erase(
      std::remove_if(all.begin(), all.end(), [&](const auto& n) { return n.name == node.name; }),
      all.end());
  all.push_back(node);
  pacs::saveNodes(path, all);
  std::printf("node %s = %s saved in %s\n", node.name.c_str(), pacs::describe(node).c_str(),
              path.c_str());
  return 0;
}

}  // namespace cfx::cli
