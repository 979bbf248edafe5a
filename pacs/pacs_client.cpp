#include "pacs_client.h"

#include "dicom_io.h"

#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmnet/diutil.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>

#include "atomic_file.h"
#include "dicom_status.h"
#include "move_receiver.h"
#include "scu_association.h"

namespace cfx::pacs {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string text(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  return item.findAndGetOFStringArray(tag, value).good() ? std::string(value.c_str()) : "";
}

int count(DcmItem& item, const DcmTagKey& tag) {
  const std::string value = text(item, tag);
  try {
    return value.empty() ? -1 : std::stoi(value);
  } catch (const std::exception&) {
    return -1;
  }
}

// Owns DcmSCU's response lists (it leaves freeing them to the caller).
template <typename Response>
struct Responses {
  OFList<Response*> list;
  ~Responses() {
    for (Response* response : list) delete response;
  }
};

ProposedContext findContext() {
  return {UID_FINDStudyRootQueryRetrieveInformationModel, uncompressedTransferSyntaxes(),
          ASC_SC_ROLE_DEFAULT};
}

std::string dateRange(const std::string& from, const std::string& to) {
  if (from.empty() && to.empty()) return "";
  return from + "-" + to;
}

std::string joined(const std::vector<std::string>& values) {
  std::string result;
  for (const auto& value : values) result += (result.empty() ? "" : "\\") + value;
  return result;
}

// The last response of a C-FIND/GET/MOVE: a failure status there is the node's refusal.
template <typename Response>
void checkFinalStatus(ScuAssociation& association, const Responses<Response>& responses) {
  if (responses.list.empty()) return;
  const Uint16 status = responses.list.back()->m_status;
  if (isFailure(status)) {
    std::string detail;
    if (DcmDataset* extra = responses.list.back()->m_statusDetail) {
      const std::string comment = text(*extra, DCM_ErrorComment);
      if (!comment.empty()) detail = ": " + comment;
    }
    association.fail("the node answered " + describeStatus(status) + detail);
  }
}

// One C-FIND (Study Root) on its own association: `onMatch` sees each data set the node returns.
void findMatches(const PacsNode& node, DcmDataset& keys,
                 const std::function<void(DcmDataset&)>& onMatch) {
  ScuAssociation association(node, {findContext()}, "C-FIND");
  Responses<QRResponse> responses;
  association.check(association.sendFINDRequest(
      association.contextFor(UID_FINDStudyRootQueryRetrieveInformationModel), &keys,
      &responses.list));
  checkFinalStatus(association, responses);
  for (QRResponse* response : responses.list)
    if (response->m_dataset) onMatch(*response->m_dataset);
}

}  // namespace

PacsClient::PacsClient(PacsNode node) : node_(std::move(node)) {
  validate(node_, node_.name);
}

double PacsClient::echo() {
  const auto start = Clock::now();
  ScuAssociation association(node_, {{UID_VerificationSOPClass, uncompressedTransferSyntaxes()}},
                             "C-ECHO");
  association.check(association.sendECHORequest(association.contextFor(UID_VerificationSOPClass)));
  return secondsSince(start) * 1000.0;
}

std::vector<StudyMatch> PacsClient::findStudies(const StudyQuery& query) {
  validate(query);
  DcmDataset keys;
  keys.putAndInsertString(DCM_QueryRetrieveLevel, "STUDY");
  keys.putAndInsertString(DCM_StudyInstanceUID, "");
  keys.putAndInsertString(DCM_PatientName, query.patientName.c_str());
  keys.putAndInsertString(DCM_PatientID, query.patientId.c_str());
  keys.putAndInsertString(DCM_PatientBirthDate, "");
  keys.putAndInsertString(DCM_PatientSex, "");
  keys.putAndInsertString(DCM_StudyDate, dateRange(query.dateFrom, query.dateTo).c_str());
  keys.putAndInsertString(DCM_StudyTime, "");
  keys.putAndInsertString(DCM_StudyDescription, "");
  keys.putAndInsertString(DCM_AccessionNumber, query.accessionNumber.c_str());
  keys.putAndInsertString(DCM_ModalitiesInStudy, joined(query.modalities).c_str());
  keys.putAndInsertString(DCM_NumberOfStudyRelatedSeries, "");
  keys.putAndInsertString(DCM_NumberOfStudyRelatedInstances, "");
  std::vector<StudyMatch> matches;
  findMatches(node_, keys, [&](DcmDataset& ds) {
    StudyMatch match;
    match.studyInstanceUid = text(ds, DCM_StudyInstanceUID);
    match.patientName = text(ds, DCM_PatientName);
    match.patientId = text(ds, DCM_PatientID);
    match.patientBirthDate = text(ds, DCM_PatientBirthDate);
    match.patientSex = text(ds, DCM_PatientSex);
    match.studyDate = text(ds, DCM_StudyDate);
    match.studyTime = text(ds, DCM_StudyTime);
    match.studyDescription = text(ds, DCM_StudyDescription);
    match.accessionNumber = text(ds, DCM_AccessionNumber);
    match.modalities = text(ds, DCM_ModalitiesInStudy);
    match.seriesCount = count(ds, DCM_NumberOfStudyRelatedSeries);
    match.instanceCount = count(ds, DCM_NumberOfStudyRelatedInstances);
    if (!match.studyInstanceUid.empty()) matches.push_back(match);
  });
  return matches;
}

std::vector<SeriesMatch> PacsClient::findSeries(const std::string& studyInstanceUid) {
  if (studyInstanceUid.empty()) throw PacsError(describe(node_) + ": C-FIND: no study UID given");
  DcmDataset keys;
  keys.putAndInsertString(DCM_QueryRetrieveLevel, "SERIES");
  keys.putAndInsertString(DCM_StudyInstanceUID, studyInstanceUid.c_str());
  keys.putAndInsertString(DCM_SeriesInstanceUID, "");
  keys.putAndInsertString(DCM_Modality, "");
  keys.putAndInsertString(DCM_SeriesNumber, "");
  keys.putAndInsertString(DCM_SeriesDescription, "");
  keys.putAndInsertString(DCM_BodyPartExamined, "");
  keys.putAndInsertString(DCM_NumberOfSeriesRelatedInstances, "");
  std::vector<SeriesMatch> matches;
  findMatches(node_, keys, [&](DcmDataset& ds) {
    SeriesMatch match;
    match.studyInstanceUid = studyInstanceUid;
    match.seriesInstanceUid = text(ds, DCM_SeriesInstanceUID);
    match.modality = text(ds, DCM_Modality);
    match.seriesDescription = text(ds, DCM_SeriesDescription);
    match.bodyPart = text(ds, DCM_BodyPartExamined);
    match.seriesNumber = count(ds, DCM_SeriesNumber);
    match.instanceCount = count(ds, DCM_NumberOfSeriesRelatedInstances);
    if (!match.seriesInstanceUid.empty()) matches.push_back(match);
  });
  return matches;
}

RetrievedSeries PacsClient::retrieveSeries(const std::string& studyInstanceUid,
                                           const std::string& seriesInstanceUid,
                                           const std::string& outDir, WorkMonitor& monitor,
                                           int expectedInstances) {
  if (studyInstanceUid.empty() || seriesInstanceUid.empty())
    throw PacsError(describe(node_) + ": retrieve: study and series UIDs are both needed");
  fs::create_directories(outDir);
  const auto start = Clock::now();
  DcmDataset keys;
  keys.putAndInsertString(DCM_QueryRetrieveLevel, "SERIES");
  keys.putAndInsertString(DCM_StudyInstanceUID, studyInstanceUid.c_str());
  keys.putAndInsertString(DCM_SeriesInstanceUID, seriesInstanceUid.c_str());
  RetrievedSeries result;
  long received = 0;
  monitor.begin("retrieving series " + seriesInstanceUid, std::max(1, expectedInstances));

  if (node_.retrieve == RetrieveMethod::Get) {
    std::vector<ProposedContext> contexts = {
        {UID_GETStudyRootQueryRetrieveInformationModel, uncompressedTransferSyntaxes()}};
    for (const auto& uid : imageStorageClasses())
      contexts.push_back({uid, readableTransferSyntaxes(), ASC_SC_ROLE_SCP});
    ScuAssociation association(node_, contexts, "C-GET");
    association.onStoreRequest = [&](DcmDataset& dataset) -> Uint16 {
      if (monitor.cancelled()) return STATUS_STORE_Refused_OutOfResources;
      OFString sopInstanceUid;
      if (dataset.findAndGetOFString(DCM_SOPInstanceUID, sopInstanceUid).bad() ||
          sopInstanceUid.empty())
        return STATUS_STORE_Error_CannotUnderstand;
      const std::string path =
          (fs::path(outDir) / (std::string(sopInstanceUid.c_str()) + ".dcm")).string();
      const std::string temporary = io::temporaryPathFor(path);
      DcmFileFormat file(&dataset);
      if (file.saveFile(temporary.c_str(), EXS_Unknown).bad()) {
        fs::remove(temporary);
        return STATUS_STORE_Refused_OutOfResources;
      }
      io::commitTemporary(temporary, path);
      result.files.push_back(path);
      monitor.update(++received, fs::path(path).filename().string());
      return STATUS_Success;
    };
    Responses<RetrieveResponse> responses;
    const OFCondition sent = association.sendCGETRequest(
        association.contextFor(UID_GETStudyRootQueryRetrieveInformationModel), &keys,
        &responses.list);
    if (monitor.cancelled()) {
      association.markFailed();
      monitor.finish();
      throw Interrupted{};
    }
    association.check(sent, "after " + std::to_string(received) + " instance(s)");
    checkFinalStatus(association, responses);
    if (!responses.list.empty()) result.failed = responses.list.back()->m_numberOfFailedSubops;
  } else {
    MoveReceiver receiver(node_, outDir, [&](const std::string& file) {
      monitor.update(++received, fs::path(file).filename().string());
    });
    receiver.start();
    {
      ScuAssociation association(
          node_, {{UID_MOVEStudyRootQueryRetrieveInformationModel, uncompressedTransferSyntaxes()}},
          "C-MOVE");
      Responses<RetrieveResponse> responses;
      const OFCondition sent = association.sendMOVERequest(
          association.contextFor(UID_MOVEStudyRootQueryRetrieveInformationModel),
          receiver.aeTitle().c_str(), &keys, &responses.list);
      receiver.stop();
      result.files = receiver.files();
      if (monitor.cancelled()) {
        association.markFailed();
        monitor.finish();
        throw Interrupted{};
      }
      association.check(sent, "after " + std::to_string(result.files.size()) + " instance(s)");
      // Nodes answer an unknown destination with 0xA801 or, like Orthanc, a bare 0xC000.
      if (!responses.list.empty() && isFailure(responses.list.back()->m_status) &&
          result.files.empty())
        association.fail("the node answered " + describeStatus(responses.list.back()->m_status) +
                         " and sent nothing: does it know our move destination '" +
                         receiver.aeTitle() + "' at this host and port " +
                         std::to_string(node_.receivePort) + "? (or retrieve with C-GET)");
      checkFinalStatus(association, responses);
      if (!responses.list.empty()) result.failed = responses.list.back()->m_numberOfFailedSubops;
    }
  }
  monitor.finish();
  result.seconds = secondsSince(start);
  return result;
}

StoreResult PacsClient::store(const std::string& dicomFile) {
  io::prepareDicomCodecs();
  DcmFileFormat file;
  const OFCondition loaded = file.loadFile(dicomFile.c_str());
  if (loaded.bad())
    throw PacsError(dicomFile + ": C-STORE: not a readable DICOM file (" + loaded.text() + ")");
  DcmDataset& ds = *file.getDataset();
  OFString sopClass, sopInstance;
  ds.findAndGetOFString(DCM_SOPClassUID, sopClass);
  ds.findAndGetOFString(DCM_SOPInstanceUID, sopInstance);
  if (sopClass.empty() || sopInstance.empty())
    throw PacsError(dicomFile + ": C-STORE: SOPClassUID or SOPInstanceUID missing");
  const std::string stored = DcmXfer(ds.getOriginalXfer()).getXferID();
  std::vector<std::string> syntaxes = uncompressedTransferSyntaxes();
  if (std::find(syntaxes.begin(), syntaxes.end(), stored) == syntaxes.end())
    syntaxes.insert(syntaxes.begin(), stored);
  const auto start = Clock::now();
  ScuAssociation association(node_, {{sopClass.c_str(), syntaxes}}, "C-STORE");
  Uint16 status = 0;
  association.check(
      association.sendSTORERequest(association.contextFor(sopClass.c_str()), "", &ds, status));
  if (isFailure(status))
    association.fail("the node refused " + fs::path(dicomFile).filename().string() + ": " +
                     describeStatus(status));
  return {sopInstance.c_str(), secondsSince(start)};
}

}  // namespace cfx::pacs
