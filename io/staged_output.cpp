#include "staged_output.h"

#include <stdlib.h>

#include <filesystem>

#include "io_error.h"

namespace cfx::io {
namespace fs = std::filesystem;

StagedOutput::StagedOutput(const std::string& outDir) : outDir_(outDir) {
  std::error_code error;
  if (fs::exists(outDir, error) && !fs::is_directory(outDir, error))
    throw IoError(outDir, "output", "is a file, not a folder; give a folder for the results");
  fs::create_directories(outDir, error);
  if (error || !fs::is_directory(outDir))
    throw IoError(outDir, "create", "cannot create the output folder: " + error.message());
  std::string pattern = (fs::path(outDir) / ".cfx-partial-XXXXXX").string();
  if (!mkdtemp(pattern.data()))
    throw IoError(outDir, "create", "cannot write into the output folder");
  stagingDir_ = pattern;
}

StagedOutput::~StagedOutput() {
  std::error_code ignored;
  fs::remove_all(stagingDir_, ignored);
}

std::string StagedOutput::stagingPath(const std::string& name) {
  if (std::find(names_.begin(), names_.end(), name) == names_.end()) names_.push_back(name);
  return (fs::path(stagingDir_) / name).string();
}

std::string StagedOutput::finalPath(const std::string& name) const {
  return (fs::path(outDir_) / name).string();
}

std::vector<std::string> StagedOutput::commit() {
  std::vector<std::string> written;
  // Everything that could stop a rename half-way is checked before the first one.
  for (const auto& name : names_) {
    const fs::path from = fs::path(stagingDir_) / name;
    if (!fs::exists(from)) throw IoError(from.string(), "commit", "was never written");
    if (fs::is_directory(finalPath(name)))
      throw IoError(finalPath(name), "output", "is a folder; cannot replace it with a file");
  }
  for (const auto& name : names_) {
    std::error_code error;
    fs::rename(fs::path(stagingDir_) / name, finalPath(name), error);
    if (error)
      throw IoError(finalPath(name), "write", "cannot move into place: " + error.message());
    written.push_back(finalPath(name));
  }
  return written;
}

}  // namespace cfx::io
