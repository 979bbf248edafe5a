#include "pacs_study.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "counterfactual_export.h"
#include "radiograph_reader.h"
#include "validation_error.h"

namespace cfx::session {
namespace fs = std::filesystem;

namespace {

bool isRadiograph(const pacs::SeriesMatch& series) {
  return series.modality == "CR" || series.modality == "DX";
}

std::string label(const pacs::SeriesMatch& series) {
  std::string text = "series " + (series.seriesNumber >= 0 ? std::to_string(series.seriesNumber)
                                                           : series.seriesInstanceUid);
  text += " (" + (series.modality.empty() ? std::string("no modality") : series.modality);
  if (series.instanceCount >= 0) text += ", " + std::to_string(series.instanceCount) + " instances";
  return text + ")";
}

// Why a series is not worth retrieving, or nothing when it may hold a chest radiograph.
std::string reasonToSkip(const pacs::SeriesMatch& series) {
  if (series.seriesDescription == kCounterfactualSeriesDescription)
    return "a synthetic series (" + series.seriesDescription + ")";
  static const char* const notRadiographs[] = {"CT", "MR",       "US",  "NM",  "PT",  "SR", "PR",
                                               "KO", "RTSTRUCT", "SEG", "REG", "ECG", "DOC"};
  for (const char* modality : notRadiographs)
    if (series.modality == modality) return "modality " + series.modality + " is not a radiograph";
  std::string part = series.bodyPart;
  std::transform(part.begin(), part.end(), part.begin(), ::toupper);
  if (!part.empty() && part != "CHEST" && part != "THORAX" && part != "LUNG")
    return "body part " + series.bodyPart + ", not the chest";
  return "";
}

}  // namespace

RetrievedStudy retrieveChestImage(pacs::PacsClient& client, const std::string& studyInstanceUid,
                                  const std::string& cacheDir, WorkMonitor& monitor) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<pacs::SeriesMatch> series = client.findSeries(studyInstanceUid);
  if (series.empty())
    throw ValidationError("study " + studyInstanceUid, pacs::describe(client.node()),
                          "no such study, or it holds no series");
  std::stable_sort(series.begin(), series.end(), [](const auto& a, const auto& b) {
    return isRadiograph(a) && !isRadiograph(b);
  });
  RetrievedStudy result;
  std::vector<pacs::SeriesMatch> candidates;
  for (const pacs::SeriesMatch& one : series) {
    if (const std::string reason = reasonToSkip(one); !reason.empty())
      result.skipped.push_back(label(one) + ": " + reason);
    else
      candidates.push_back(one);
  }
  for (const pacs::SeriesMatch& candidate : candidates) {
    const fs::path folder = fs::path(cacheDir) / candidate.seriesInstanceUid;
    const pacs::RetrievedSeries retrieved =
        client.retrieveSeries(studyInstanceUid, candidate.seriesInstanceUid, folder.string(),
                              monitor, candidate.instanceCount);
    result.instancesRetrieved += int(retrieved.files.size());
    std::vector<std::string> problems;
    for (const std::string& file : retrieved.files) {
      try {
        io::readRadiograph(file);
        result.imagePath = file;
        result.series = candidate;
        result.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return result;
      } catch (const ValidationError& e) {
        problems.push_back(e.what());
      }
    }
    result.skipped.push_back(label(candidate) + ": " +
                             (problems.empty() ? std::string("no instance arrived")
                                               : "no usable image (" + problems.front() + ")"));
  }
  std::string reasons;
  for (const auto& line : result.skipped) reasons += (reasons.empty() ? "" : "; ") + line;
  throw ValidationError("study " + studyInstanceUid, "images",
                        "no image a chest model can use: " + reasons);
}

}  // namespace cfx::session
