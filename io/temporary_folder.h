#pragma once

#include <string>

namespace cfx::io {

// A new, empty folder under the system's temporary directory ($TMPDIR, else /tmp), removed with
// everything in it when this object goes.
class TemporaryFolder {
 public:
  explicit TemporaryFolder(const std::string& prefix = "cfx-");
  ~TemporaryFolder();
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace cfx::io
