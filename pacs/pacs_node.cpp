#include "pacs_node.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "atomic_file.h"
#include "validation_error.h"

namespace cfx::pacs {
namespace {

constexpr int kNodeFileVersion = 1;

void checkAeTitle(const std::string& title, const std::string& source, const std::string& field) {
  bool clean =
      !title.empty() && title.size() <= 16 && title.find_first_not_of(' ') != std::string::npos;
  for (const char c : title)
    clean = clean && c != '\\' && static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
  if (!clean)
    throw ValidationError(source, field,
                          "'" + title +
                              "' is not an AE title (1-16 characters, no backslash or control "
                              "characters)");
}

// Typed access to one key of a node's JSON object, naming the file and the key on a mistake.
class NodeFields {
 public:
  NodeFields(const nlohmann::json& object, std::string source, std::string prefix)
      : object_(object), source_(std::move(source)), prefix_(std::move(prefix)) {}

  std::string text(const char* key, std::optional<std::string> fallback = std::nullopt) const {
    if (!object_.contains(key)) return required(key, fallback, "a string");
    if (!object_[key].is_string()) throw wrong(key, "a string");
    return object_[key].get<std::string>();
  }
  int integer(const char* key, std::optional<int> fallback = std::nullopt) const {
    if (!object_.contains(key)) return required(key, fallback, "an integer");
    if (!object_[key].is_number_integer()) throw wrong(key, "an integer");
    const auto value = object_[key].get<long long>();
    if (value < -1000000 || value > 1000000) throw wrong(key, "an integer in range");
    return int(value);
  }
  bool boolean(const char* key, bool fallback) const {
    if (!object_.contains(key)) return fallback;
    if (!object_[key].is_boolean()) throw wrong(key, "true or false");
    return object_[key].get<bool>();
  }
  std::vector<std::string> texts(const char* key) const {
    std::vector<std::string> values;
    if (!object_.contains(key)) return values;
    if (!object_[key].is_array()) throw wrong(key, "a list of strings");
    for (const auto& item : object_[key]) {
      if (!item.is_string()) throw wrong(key, "a list of strings");
      values.push_back(item.get<std::string>());
    }
    return values;
  }
  std::string field(const char* key) const { return prefix_ + key; }

 private:
  template <typename T>
  T required(const char* key, const std::optional<T>& fallback, const char* what) const {
    if (!fallback)
      throw ValidationError(source_, field(key), std::string("missing; expected ") + what);
    return *fallback;
  }
  ValidationError wrong(const char* key, const char* what) const {
    return ValidationError(source_, field(key),
                           "expected " + std::string(what) + ", got " + object_[key].dump());
  }

  const nlohmann::json& object_;
  std::string source_, prefix_;
};

PacsNode nodeFromJson(const std::string& name, const nlohmann::json& object,
                      const std::string& source) {
  const std::string prefix = "nodes." + name + ".";
  if (!object.is_object()) throw ValidationError(source, "nodes." + name, "expected an object");
  static const char* const known[] = {"ae_title",         "host",         "port",
                                      "calling_ae_title", "timeout_s",    "retrieve",
                                      "move_destination", "receive_port", "tls"};
  for (const auto& [key, value] : object.items())
    if (std::find(std::begin(known), std::end(known), key) == std::end(known))
      throw ValidationError(source, prefix + key,
                            "unknown key (expected ae_title, host, port, calling_ae_title, "
                            "timeout_s, retrieve, move_destination, receive_port, tls)");
  const NodeFields fields(object, source, prefix);
  PacsNode node;
  node.name = name;
  node.calledAeTitle = fields.text("ae_title");
  node.host = fields.text("host");
  node.port = fields.integer("port");
  node.callingAeTitle = fields.text("calling_ae_title", node.callingAeTitle);
  node.timeoutSeconds = fields.integer("timeout_s", node.timeoutSeconds);
  const std::string retrieve = fields.text("retrieve", "get");
  if (retrieve != "get" && retrieve != "move")
    throw ValidationError(source, fields.field("retrieve"),
                          "expected \"get\" or \"move\", got \"" + retrieve + "\"");
  node.retrieve = retrieve == "move" ? RetrieveMethod::Move : RetrieveMethod::Get;
  node.moveDestination = fields.text("move_destination", "");
  node.receivePort = fields.integer("receive_port", 0);
  if (object.contains("tls")) {
    if (!object["tls"].is_object())
      throw ValidationError(source, prefix + "tls", "expected an object");
    const NodeFields tls(object["tls"], source, prefix + "tls.");
    node.tls.enabled = tls.boolean("enabled", true);
    node.tls.certificate = tls.text("certificate", "");
    node.tls.privateKey = tls.text("private_key", "");
    node.tls.trustedCertificates = tls.texts("trusted_certificates");
    node.tls.verifyPeer = tls.boolean("verify_peer", true);
  }
  validate(node, source);
  return node;
}

nlohmann::json nodeToJson(const PacsNode& node) {
  nlohmann::json object = {{"ae_title", node.calledAeTitle},
                           {"host", node.host},
                           {"port", node.port},
                           {"calling_ae_title", node.callingAeTitle},
                           {"timeout_s", node.timeoutSeconds},
                           {"retrieve", node.retrieve == RetrieveMethod::Move ? "move" : "get"}};
  if (!node.moveDestination.empty()) object["move_destination"] = node.moveDestination;
  if (node.receivePort) object["receive_port"] = node.receivePort;
  if (node.tls.enabled)
    object["tls"] = {{"enabled", true},
                     {"certificate", node.tls.certificate},
                     {"private_key", node.tls.privateKey},
                     {"trusted_certificates", node.tls.trustedCertificates},
                     {"verify_peer", node.tls.verifyPeer}};
  return object;
}

}  // namespace

std::optional<PacsNode> parseNodeAddress(const std::string& text) {
  static const std::regex address(R"(([^@]{1,16})@([A-Za-z0-9.\-:\[\]]+):([0-9]{1,5}))");
  std::smatch match;
  if (!std::regex_match(text, match, address)) return std::nullopt;
  PacsNode node;
  node.name = text;
  node.calledAeTitle = match[1];
  node.host = match[2];
  node.port = std::stoi(match[3]);
  return node;
}

std::string describe(const PacsNode& node) {
  return node.calledAeTitle + "@" + node.host + ":" + std::to_string(node.port);
}

void validate(const PacsNode& node, const std::string& source) {
  const std::string prefix = node.name.empty() ? "" : "nodes." + node.name + ".";
  checkAeTitle(node.calledAeTitle, source, prefix + "ae_title");
  checkAeTitle(node.callingAeTitle, source, prefix + "calling_ae_title");
  if (!node.moveDestination.empty())
    checkAeTitle(node.moveDestination, source, prefix + "move_destination");
  if (node.host.empty() || node.host.find_first_of(" \t\r\n/\\") != std::string::npos)
    throw ValidationError(source, prefix + "host",
                          "expected a host name or IP address, got '" + node.host + "'");
  if (node.port < 1 || node.port > 65535)
    throw ValidationError(source, prefix + "port",
                          "expected a TCP port 1-65535, got " + std::to_string(node.port));
  if (node.timeoutSeconds < 1 || node.timeoutSeconds > 3600)
    throw ValidationError(source, prefix + "timeout_s",
                          "expected 1-3600 seconds, got " + std::to_string(node.timeoutSeconds));
  if (node.receivePort < 0 || node.receivePort > 65535)
    throw ValidationError(source, prefix + "receive_port",
                          "expected a TCP port 1-65535, got " + std::to_string(node.receivePort));
  if (node.retrieve == RetrieveMethod::Move && node.receivePort == 0)
    throw ValidationError(source, prefix + "receive_port",
                          "C-MOVE needs the port our storage SCP listens on (the node must "
                          "know our AE title at this host and port)");
}

std::vector<PacsNode> loadNodes(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ValidationError(path, "open", "no such file or not readable");
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw ValidationError(path, "parse", std::string("not valid JSON (") + e.what() + ")");
  }
  if (!json.is_object()) throw ValidationError(path, "top level", "expected a JSON object");
  if (!json.contains("version") || json["version"] != kNodeFileVersion)
    throw ValidationError(path, "version",
                          "expected " + std::to_string(kNodeFileVersion) + ", got " +
                              (json.contains("version") ? json["version"].dump() : "nothing"));
  if (!json.contains("nodes") || !json["nodes"].is_object())
    throw ValidationError(path, "nodes", "expected an object of named nodes");
  std::vector<PacsNode> nodes;
  for (const auto& [name, value] : json["nodes"].items())
    nodes.push_back(nodeFromJson(name, value, path));
  return nodes;
}

std::vector<PacsNode> loadNodesIfPresent(const std::string& path) {
  std::error_code error;
  return std::filesystem::exists(path, error) ? loadNodes(path) : std::vector<PacsNode>{};
}

void saveNodes(const std::string& path, const std::vector<PacsNode>& nodes) {
  nlohmann::json json = {{"version", kNodeFileVersion}, {"nodes", nlohmann::json::object()}};
  for (const PacsNode& node : nodes) {
    validate(node, path);
    json["nodes"][node.name] = nodeToJson(node);
  }
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  const std::string text = json.dump(2) + "\n";
  io::writeFileAtomically(path, std::vector<unsigned char>(text.begin(), text.end()));
}

PacsNode resolveNode(const std::string& reference, const std::string& configPath) {
  if (auto node = parseNodeAddress(reference)) {
    validate(*node, reference);
    return *node;
  }
  if (!std::filesystem::exists(configPath))
    throw ValidationError(
        reference, "node",
        "not AET@host:port and there is no node file " + configPath + " to look the name up in");
  std::string names;
  for (const PacsNode& node : loadNodes(configPath)) {
    if (node.name == reference) return node;
    names += (names.empty() ? "" : ", ") + node.name;
  }
  throw ValidationError(configPath, "nodes",
                        "no node named '" + reference + "' (known: " +
                            (names.empty() ? "none" : names) + "; or give AET@host:port)");
}

std::string defaultNodesPath() {
  if (const char* path = std::getenv("CFX_PACS_NODES"); path && *path) return path;
  std::filesystem::path base;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
    base = xdg;
  else if (const char* home = std::getenv("HOME"); home && *home)
    base = std::filesystem::path(home) / ".config";
  else
    base = ".";
  return (base / "cfx" / "pacs-nodes.json").string();
}

}  // namespace cfx::pacs
