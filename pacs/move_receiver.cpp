#include "move_receiver.h"

#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmnet/dstorscp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

#include "dicom_io.h"
#include "pacs_client.h"
#include "scu_association.h"

namespace cfx::pacs {

class MoveReceiver::Scp : public DcmStorageSCP {
 public:
  explicit Scp(MoveReceiver& owner) : owner_(owner) {}

 protected:
  void notifyInstanceStored(const OFString& filename, const OFString& /*sopClassUID*/,
                            const OFString& /*sopInstanceUID*/,
                            DcmDataset* /*dataset*/) const override {
    {
      const std::lock_guard<std::mutex> lock(owner_.mutex_);
      owner_.files_.push_back(filename.c_str());
    }
    if (owner_.onStored_) owner_.onStored_(filename.c_str());
  }
  OFBool stopAfterConnectionTimeout() override { return owner_.stopping_.load(); }
  OFBool stopAfterCurrentAssociation() override { return owner_.stopping_.load(); }
  OFBool checkCalledAETitleAccepted(const OFString& calledAE) override {
    return calledAE == owner_.aeTitle_.c_str();
  }

 private:
  MoveReceiver& owner_;
};

MoveReceiver::MoveReceiver(const PacsNode& node, const std::string& outDir,
                           std::function<void(const std::string&)> onStored)
    : node_(node),
      outDir_(outDir),
      aeTitle_(node.moveDestination.empty() ? node.callingAeTitle : node.moveDestination),
      onStored_(std::move(onStored)) {}

MoveReceiver::~MoveReceiver() {
  stop();
}

void MoveReceiver::start() {
  io::prepareDicomCodecs();
  scp_ = std::make_unique<Scp>(*this);
  scp_->setPort(Uint16(node_.receivePort));
  scp_->setAETitle(aeTitle_.c_str());
  // Polls once a second so that stop() is noticed between associations.
  scp_->setConnectionBlockingMode(DUL_NOBLOCK);
  scp_->setConnectionTimeout(1);
  scp_->setACSETimeout(Uint32(node_.timeoutSeconds));
  scp_->setDIMSEBlockingMode(DIMSE_NONBLOCKING);
  scp_->setDIMSETimeout(Uint32(node_.timeoutSeconds));
  scp_->setHostLookupEnabled(OFFalse);
  OFList<OFString> syntaxes;
  for (const auto& uid : readableTransferSyntaxes()) syntaxes.push_back(uid.c_str());
  for (const auto& uid : imageStorageClasses()) scp_->addPresentationContext(uid.c_str(), syntaxes);
  if (scp_->setOutputDirectory(outDir_.c_str()).bad())
    throw PacsError("C-MOVE receiver: cannot write into " + outDir_);
  scp_->setFilenameExtension(".dcm");
  if (scp_->setAndCheckAssociationProfile("DEFAULT").bad())
    throw PacsError("C-MOVE receiver: the storage presentation contexts are not valid");
  const OFCondition opened = scp_->openListenPort();
  if (opened.bad())
    throw PacsError("C-MOVE receiver: cannot listen on port " + std::to_string(node_.receivePort) +
                    " (" + opened.text() + "; is another program using it?)");
  stopping_ = false;
  thread_ = std::thread([this] { scp_->acceptAssociations(); });
}

void MoveReceiver::stop() {
  stopping_ = true;
  if (!thread_.joinable()) return;
  // The acceptor checks the flag when a connection ends or its one-second wait runs out: a bare
  // connection that closes at once ends the wait now.
  const int wake = ::socket(AF_INET, SOCK_STREAM, 0);
  if (wake >= 0) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(std::uint16_t(node_.receivePort));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(wake, reinterpret_cast<const sockaddr*>(&address), sizeof address);
    ::close(wake);
  }
  thread_.join();
}

std::vector<std::string> MoveReceiver::files() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return files_;
}

}  // namespace cfx::pacs
