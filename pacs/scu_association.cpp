#include "scu_association.h"

#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/diutil.h>

#include "dicom_io.h"

namespace cfx::pacs {
namespace {

OFList<OFString> toList(const std::vector<std::string>& values) {
  OFList<OFString> list;
  for (const auto& value : values) list.push_back(value.c_str());
  return list;
}

std::string rejectionText(const T_ASC_RejectParameters& reject, const PacsNode& node) {
  switch (reject.reason) {
    case ASC_REASON_SU_CALLEDAETITLENOTRECOGNIZED:
      return "called AE title '" + node.calledAeTitle + "' not recognised by the node";
    case ASC_REASON_SU_CALLINGAETITLENOTRECOGNIZED:
      return "our AE title '" + node.callingAeTitle + "' is not known to the node";
    case ASC_REASON_SU_APPCONTEXTNAMENOTSUPPORTED:
      return "application context not supported";
    case ASC_REASON_SP_PRES_TEMPORARYCONGESTION:
      return "the node is busy (temporary congestion); try again";
    case ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED:
      return "the node has too many associations open; try again";
    default:
      return std::string(reject.result == ASC_RESULT_REJECTEDTRANSIENT ? "transient"
                                                                       : "permanent") +
             " rejection without a stated reason";
  }
}

// DcmSCU keeps the rejection's reason to itself; a second, bare association (verification only)
// asks the node again and reads it.
std::string rejectionReason(const PacsNode& node) {
  if (node.tls.enabled) return "reason not read over TLS";
  T_ASC_Network* network = nullptr;
  if (ASC_initializeNetwork(NET_REQUESTOR, 0, node.timeoutSeconds, &network).bad())
    return "no reason given";
  T_ASC_Parameters* parameters = nullptr;
  std::string reason = "no reason given";
  if (ASC_createAssociationParameters(&parameters, ASC_DEFAULTMAXPDU).good()) {
    ASC_setAPTitles(parameters, node.callingAeTitle.c_str(), node.calledAeTitle.c_str(), nullptr);
    const std::string peer = node.host + ":" + std::to_string(node.port);
    ASC_setPresentationAddresses(parameters, "localhost", peer.c_str());
    const char* syntaxes[] = {UID_LittleEndianImplicitTransferSyntax};
    ASC_addPresentationContext(parameters, 1, UID_VerificationSOPClass, syntaxes, 1);
    T_ASC_Association* association = nullptr;
    const OFCondition requested = ASC_requestAssociation(network, parameters, &association);
    if (requested == DUL_ASSOCIATIONREJECTED) {
      T_ASC_RejectParameters reject;
      ASC_getRejectParameters(parameters, &reject);
      reason = rejectionText(reject, node);
    } else if (requested.good()) {
      reason = "for the services proposed (a verification-only association is accepted)";
      ASC_releaseAssociation(association);
    }
    if (association)
      ASC_destroyAssociation(&association);
    else
      ASC_destroyAssociationParameters(&parameters);
  }
  ASC_dropNetwork(&network);
  return reason;
}

}  // namespace

std::vector<std::string> uncompressedTransferSyntaxes() {
  return {UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax};
}

std::vector<std::string> readableTransferSyntaxes() {
  return {UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax,
          UID_JPEGProcess14SV1TransferSyntax,     UID_JPEGProcess1TransferSyntax,
          UID_JPEGLSLosslessTransferSyntax,       UID_RLELosslessTransferSyntax};
}

const std::vector<std::string>& imageStorageClasses() {
  static const std::vector<std::string> classes = {
      UID_ComputedRadiographyImageStorage,
      UID_DigitalXRayImageStorageForPresentation,
      UID_DigitalXRayImageStorageForProcessing,
      UID_SecondaryCaptureImageStorage,
      UID_MultiframeGrayscaleByteSecondaryCaptureImageStorage,
      UID_MultiframeGrayscaleWordSecondaryCaptureImageStorage,
      UID_MultiframeTrueColorSecondaryCaptureImageStorage,
      UID_DigitalMammographyXRayImageStorageForPresentation,
      UID_XRayAngiographicImageStorage,
      UID_XRayRadiofluoroscopicImageStorage,
      UID_CTImageStorage,
      UID_MRImageStorage,
      UID_UltrasoundImageStorage,
      UID_UltrasoundMultiframeImageStorage,
      UID_NuclearMedicineImageStorage,
      UID_PositronEmissionTomographyImageStorage,
      UID_VLPhotographicImageStorage,
  };
  return classes;
}

ScuAssociation::ScuAssociation(const PacsNode& node, const std::vector<ProposedContext>& contexts,
                               const std::string& operation)
    : node_(node), operation_(operation) {
  io::prepareDicomCodecs();
  setAETitle(node.callingAeTitle.c_str());
  setPeerAETitle(node.calledAeTitle.c_str());
  setPeerHostName(node.host.c_str());
  setPeerPort(Uint16(node.port));
  setConnectionTimeout(node.timeoutSeconds);
  setACSETimeout(Uint32(node.timeoutSeconds));
  setDIMSEBlockingMode(DIMSE_NONBLOCKING);
  setDIMSETimeout(Uint32(node.timeoutSeconds));
  setDatasetConversionMode(OFTrue);
  for (const ProposedContext& context : contexts)
    addPresentationContext(context.abstractSyntax.c_str(), toList(context.transferSyntaxes),
                           context.role);
  check(initNetwork());
  if (node.tls.enabled) {
    tls_ = std::make_unique<DcmTLSTransportLayer>(NET_REQUESTOR, nullptr, OFTrue);
    if (tls_->setTLSProfile(TSP_Profile_BCP195).bad() || tls_->activateCipherSuites().bad())
      fail("TLS: cannot set up the BCP 195 cipher suites");
    for (const auto& file : node.tls.trustedCertificates)
      if (tls_->addTrustedCertificateFile(file.c_str(), DCF_Filetype_PEM).bad())
        fail("TLS: cannot read the trusted certificate " + file);
    if (!node.tls.privateKey.empty() &&
        tls_->setPrivateKeyFile(node.tls.privateKey.c_str(), DCF_Filetype_PEM).bad())
      fail("TLS: cannot read the private key " + node.tls.privateKey);
    if (!node.tls.certificate.empty() &&
        tls_->setCertificateFile(node.tls.certificate.c_str(), DCF_Filetype_PEM).bad())
      fail("TLS: cannot read the certificate " + node.tls.certificate);
    tls_->setCertificateVerification(node.tls.verifyPeer ? DCV_requireCertificate
                                                         : DCV_ignoreCertificate);
    check(useSecureConnection(tls_.get()));
  }
  const OFCondition negotiated = negotiateAssociation();
  if (negotiated == DUL_ASSOCIATIONREJECTED)
    fail("association rejected: " + rejectionReason(node_));
  check(negotiated);
}

ScuAssociation::~ScuAssociation() {
  if (!isConnected()) return;
  if (failed_)
    abortAssociation();
  else
    releaseAssociation();
}

T_ASC_PresentationContextID ScuAssociation::contextFor(const std::string& abstractSyntax,
                                                       const std::string& transferSyntax) {
  const T_ASC_PresentationContextID id =
      findAnyPresentationContextID(abstractSyntax.c_str(), transferSyntax.c_str());
  if (id == 0) {
    const char* name = dcmFindNameOfUID(abstractSyntax.c_str());
    fail("the node accepted no presentation context for " +
         std::string(name ? name : abstractSyntax.c_str()));
  }
  return id;
}

void ScuAssociation::fail(const std::string& what) {
  failed_ = true;
  throw PacsError(describe(node_) + ": " + operation_ + ": " + what);
}

void ScuAssociation::check(const OFCondition& condition, const std::string& detail) {
  if (condition.good()) return;
  const std::string suffix = detail.empty() ? "" : " (" + detail + ")";
  const std::string seconds = std::to_string(node_.timeoutSeconds) + " s";
  if (condition == DIMSE_NODATAAVAILABLE || condition == DUL_READTIMEOUT)
    fail("no answer within " + seconds + suffix);
  if (condition == DUL_PEERABORTEDASSOCIATION || condition == DUL_NETWORKCLOSED ||
      condition == DUL_PEERREQUESTEDRELEASE)
    fail("the node closed the connection" + suffix + " (does it allow our AE title '" +
         node_.callingAeTitle + "' this service" +
         (node_.tls.enabled ? "?)" : ", or does it expect TLS?)"));
  const std::string text = condition.text();
  if (condition.code() == DULC_TCPINITERROR || text.find("TCP") != std::string::npos) {
    if (text.find("refused") != std::string::npos)
      fail("connection refused (nothing listens on port " + std::to_string(node_.port) + ")" +
           suffix);
    if (text.find("timed out") != std::string::npos || text.find("imeout") != std::string::npos)
      fail("no connection within " + seconds + suffix);
    fail("cannot connect: " + text + suffix);
  }
  fail(text + suffix);
}

OFCondition ScuAssociation::handleSTORERequest(const T_ASC_PresentationContextID /*presID*/,
                                               DcmDataset* incomingObject,
                                               OFBool& continueCGETSession,
                                               Uint16& cStoreReturnStatus) {
  const std::unique_ptr<DcmDataset> owned(incomingObject);
  if (!owned || !onStoreRequest) {
    cStoreReturnStatus = STATUS_STORE_Error_CannotUnderstand;
    continueCGETSession = OFTrue;
    return EC_Normal;
  }
  cStoreReturnStatus = onStoreRequest(*owned);
  continueCGETSession = cStoreReturnStatus == STATUS_Success ? OFTrue : OFFalse;
  return EC_Normal;
}

}  // namespace cfx::pacs
