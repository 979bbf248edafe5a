#pragma once

#include <string>
#include <vector>

namespace cfx::cli {

// The verbs of `cfx pacs`.
int runPacsEcho(const std::vector<std::string>& arguments);
int runPacsFind(const std::vector<std::string>& arguments);
int runPacsGet(const std::vector<std::string>& arguments);
int runPacsStore(const std::vector<std::string>& arguments);
int runPacsNodes(const std::vector<std::string>& arguments);
int runPacsAddNode(const std::vector<std::string>& arguments);

}  // namespace cfx::cli
