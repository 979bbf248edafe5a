#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cfx::pacs {

// How a node sends the images we ask for: C-GET over our own association, or C-MOVE to a storage
// SCP we run for the transfer (the node must know our AE title, host and port for that).
enum class RetrieveMethod { Get, Move };

// DICOM over TLS (DCMTK's dcmtls, OpenSSL): our certificate and key when the node asks for one,
// and the certificates we trust the node's against.
struct TlsSettings {
  bool enabled = false;
  std::string certificate, privateKey;  // PEM files, optional
  std::vector<std::string> trustedCertificates;
  bool verifyPeer = true;
};

// A remote DICOM application entity and how we talk to it.
struct PacsNode {
  std::string name;           // how the user refers to it, e.g. "orthanc"
  std::string calledAeTitle;  // the node's AE title
  std::string host;
  int port = 104;
  std::string callingAeTitle = "CFX";  // ours
  int timeoutSeconds = 30;             // connect, association and every response
  RetrieveMethod retrieve = RetrieveMethod::Get;
  std::string moveDestination;  // AE title the node sends C-MOVE images to (default: ours)
  int receivePort = 0;          // our storage SCP's port for C-MOVE (0: C-MOVE not possible)
  TlsSettings tls;
};

// "ORTHANC@pacs.example.org:4242" (the calling AE title, retrieval and timeout keep their
// defaults), or nothing when `text` is not of that form.
std::optional<PacsNode> parseNodeAddress(const std::string& text);

// "ORTHANC@127.0.0.1:4242", for messages.
std::string describe(const PacsNode& node);

// Throws a ValidationError naming `source` and the field when a value cannot be used: AE titles
// of 1-16 characters without backslashes or control characters, ports 1-65535, timeout 1-3600 s,
// C-MOVE with a receive port.
void validate(const PacsNode& node, const std::string& source);

// A node file (JSON): {"version": 1, "nodes": {"NAME": {"ae_title": ..., "host": ..., "port": ...,
// "calling_ae_title": ..., "timeout_s": ..., "retrieve": "get"|"move", "move_destination": ...,
// "receive_port": ..., "tls": {...}}}}. Every field is checked; errors name the file and the key.
std::vector<PacsNode> loadNodes(const std::string& path);
// The nodes of `path`, none when the file does not exist yet (a first start).
std::vector<PacsNode> loadNodesIfPresent(const std::string& path);
void saveNodes(const std::string& path, const std::vector<PacsNode>& nodes);

// A node by name from `configPath` or, when `reference` looks like AET@host:port, that address.
PacsNode resolveNode(const std::string& reference, const std::string& configPath);

// Where nodes are kept when no file is named: $CFX_PACS_NODES, else
// $XDG_CONFIG_HOME/cfx/pacs-nodes.json (~/.config/...).
std::string defaultNodesPath();

}  // namespace cfx::pacs
