#pragma once

#include <dcmtk/dcmnet/scu.h>
#include <dcmtk/dcmtls/tlslayer.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pacs_client.h"

namespace cfx::pacs {

// One presentation context to propose: an abstract syntax, the transfer syntaxes we accept for
// it, and our role (SCU, or SCP for the storage sub-operations of C-GET).
struct ProposedContext {
  std::string abstractSyntax;
  std::vector<std::string> transferSyntaxes;
  T_ASC_SC_ROLE role = ASC_SC_ROLE_DEFAULT;
};

// DCMTK's SCU configured for one node (AE titles, address, timeouts, TLS) whose failures come
// back as PacsErrors in words. Opened on construction; released when destroyed (aborted when the
// operation failed or was cancelled, so that the node does not keep sending).
class ScuAssociation : public DcmSCU {
 public:
  ScuAssociation(const PacsNode& node, const std::vector<ProposedContext>& contexts,
                 const std::string& operation);
  ~ScuAssociation() override;
  ScuAssociation(const ScuAssociation&) = delete;
  ScuAssociation& operator=(const ScuAssociation&) = delete;

  // The accepted presentation context for `abstractSyntax`; a PacsError when the node accepted
  // none.
  T_ASC_PresentationContextID contextFor(const std::string& abstractSyntax,
                                         const std::string& transferSyntax = "");
  // Throws a PacsError for a bad condition of the operation: "ORTHANC@h:p: C-GET: <what>".
  void check(const OFCondition& condition, const std::string& detail = {});
  [[noreturn]] void fail(const std::string& what);
  void markFailed() { failed_ = true; }

  // C-GET storage sub-operations arrive here; the handler returns the C-STORE status to answer.
  std::function<Uint16(DcmDataset&)> onStoreRequest;

 protected:
  OFCondition handleSTORERequest(const T_ASC_PresentationContextID presID,
                                 DcmDataset* incomingObject, OFBool& continueCGETSession,
                                 Uint16& cStoreReturnStatus) override;

 private:
  PacsNode node_;
  std::string operation_;
  std::unique_ptr<DcmTLSTransportLayer> tls_;
  bool failed_ = false;
};

// The transfer syntaxes we can read (io::readDicom decodes JPEG, JPEG-LS and RLE).
std::vector<std::string> readableTransferSyntaxes();
std::vector<std::string> uncompressedTransferSyntaxes();

// Storage SOP classes of the images a retrieval may bring (radiographs first).
const std::vector<std::string>& imageStorageClasses();

}  // namespace cfx::pacs
