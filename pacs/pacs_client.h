#pragma once

#include <string>
#include <vector>

#include "pacs_node.h"
#include "pacs_query.h"
#include "work_monitor.h"

namespace cfx::pacs {

// A network failure or a refusal by the node, in one line that names the node and the operation.
struct PacsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The files of one retrieved series.
struct RetrievedSeries {
  std::vector<std::string> files;  // one DICOM file per instance, in the order they arrived
  int failed = 0;                  // instances the node reported it could not send
  double seconds = 0.0;
};

// The result of storing one file.
struct StoreResult {
  std::string sopInstanceUid;
  double seconds = 0.0;
};

// Talks to one node: one association per call, released at its end (or aborted when cancelled or
// when the node stops answering within the node's timeout). Not thread-safe; use one client per
// thread. Every failure is a PacsError saying what happened in words (connection refused, no
// answer within N s, association rejected and why, a failure status with its code).
class PacsClient {
 public:
  explicit PacsClient(PacsNode node);

  // C-ECHO; returns the round trip in milliseconds.
  double echo();
  // C-FIND at study level (Study Root).
  std::vector<StudyMatch> findStudies(const StudyQuery& query);
  // C-FIND at series level within one study.
  std::vector<SeriesMatch> findSeries(const std::string& studyInstanceUid);
  // Retrieves every instance of a series into `outDir` (created; files named by SOP Instance UID)
  // by the node's method, C-GET or C-MOVE to a storage SCP on the node's receive port. The monitor
  // counts instances and can cancel between them (Interrupted is thrown; files already received
  // stay, so the caller decides whether to keep them). `expectedInstances` (from C-FIND; 0 when
  // unknown) sizes the progress.
  RetrievedSeries retrieveSeries(const std::string& studyInstanceUid,
                                 const std::string& seriesInstanceUid, const std::string& outDir,
                                 WorkMonitor& monitor, int expectedInstances = 0);
  // C-STORE of one DICOM file.
  StoreResult store(const std::string& dicomFile);

  const PacsNode& node() const { return node_; }

 private:
  PacsNode node_;
};

}  // namespace cfx::pacs
