#pragma once

#include <string>

#include "argument_parser.h"
#include "pacs_node.h"

namespace cfx::cli {

// The node options every PACS command shares: --NAME (a node name from the node file, or
// AET@host:port), --nodes FILE, and overrides of the calling AE title, timeout and retrieval.
void declareNodeOptions(ArgumentParser& parser, const std::string& name, bool required);
pacs::PacsNode nodeFromOptions(const ArgumentParser& parser, const std::string& name);
std::string nodesFile(const ArgumentParser& parser);

}  // namespace cfx::cli
