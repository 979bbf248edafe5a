#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pacs_node.h"

namespace cfx::pacs {

// The storage SCP a C-MOVE sends its images to: listens on the node's receive port under our
// move-destination AE title for the duration of one retrieval, on its own thread, and writes each
// instance it receives into a folder (named by SOP Instance UID).
class MoveReceiver {
 public:
  // `onStored` is called on the receiver's thread for every file written.
  MoveReceiver(const PacsNode& node, const std::string& outDir,
               std::function<void(const std::string& file)> onStored);
  ~MoveReceiver();
  MoveReceiver(const MoveReceiver&) = delete;
  MoveReceiver& operator=(const MoveReceiver&) = delete;

  // Opens the port (a PacsError when it is taken or not ours to open) and starts accepting.
  void start();
  // Waits for an association in progress to end, then stops listening.
  void stop();
  std::vector<std::string> files() const;
  // The AE title the node must send to.
  const std::string& aeTitle() const { return aeTitle_; }

 private:
  class Scp;
  PacsNode node_;
  std::string outDir_, aeTitle_;
  std::function<void(const std::string&)> onStored_;
  std::unique_ptr<Scp> scp_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> files_;
};

}  // namespace cfx::pacs
