#include "pacs_options.h"

namespace cfx::cli {

void declareNodeOptions(ArgumentParser& parser, const std::string& name, bool required) {
  const std::string help = "PACS node: a name from the node file, or AET@HOST:PORT";
  if (required)
    parser.required(name, "NODE", help);
  else
    parser.option(name, "NODE", help);
  parser.option("nodes", "FILE", "node file (default: " + pacs::defaultNodesPath() + ")")
      .option("calling-aet", "AET", "our AE title (default: the node's, else CFX)")
      .option("timeout", "S", "seconds to wait to connect and for each answer (default: 30)")
      .option("retrieve", "get|move", "how images come back (default: the node's, else get)")
      .option("receive-port", "PORT", "our storage SCP's port for C-MOVE");
}

std::string nodesFile(const ArgumentParser& parser) {
  return parser.has("nodes") ? parser.get("nodes") : pacs::defaultNodesPath();
}

pacs::PacsNode nodeFromOptions(const ArgumentParser& parser, const std::string& name) {
  pacs::PacsNode node = pacs::resolveNode(parser.get(name), nodesFile(parser));
  if (parser.has("calling-aet")) node.callingAeTitle = parser.get("calling-aet");
  if (parser.has("timeout")) node.timeoutSeconds = int(parser.getInteger("timeout", 1, 3600));
  if (parser.has("receive-port"))
    node.receivePort = int(parser.getInteger("receive-port", 1, 65535));
  if (parser.has("retrieve")) {
    const std::string method = parser.get("retrieve");
    if (method != "get" && method != "move")
      throw UsageError("--retrieve: expected get or move, got '" + method + "'");
    node.retrieve = method == "move" ? pacs::RetrieveMethod::Move : pacs::RetrieveMethod::Get;
  }
  pacs::validate(node, "--" + name + " " + parser.get(name));
  return node;
}

}  // namespace cfx::cli
