#pragma once

#include <string>
#include <vector>

namespace cfx::io {

// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so a reader
// (or a crash, or Ctrl-C) never sees a half-written file.
void writeFileAtomically(const std::string& path, const std::vector<unsigned char>& bytes);

// The temporary name used for `path` while it is being written: callers that produce a file with
// another library (e.g. DCMTK) write here, then call commitTemporary().
std::string temporaryPathFor(const std::string& path);
void commitTemporary(const std::string& temporary, const std::string& path);

// Throws when `output` is the same file as `input`: we never overwrite what we read.
void refuseToOverwriteInput(const std::string& input, const std::string& output);

}  // namespace cfx::io
