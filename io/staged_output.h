#pragma once

#include <string>
#include <vector>

namespace cfx::io {

// A set of output files that appears in its folder all together or not at all: each file is
// written into a hidden staging folder inside the output folder (same file system, so the final
// renames are atomic), and commit() moves them into place. Destroyed without commit() (an error,
// an interruption), it removes the staging folder and everything in it; files already in the
// output folder are left as they were.
class StagedOutput {
 public:
  explicit StagedOutput(const std::string& outDir);
  ~StagedOutput();
  StagedOutput(const StagedOutput&) = delete;
  StagedOutput& operator=(const StagedOutput&) = delete;

  // Where to write `name` now (inside the staging folder).
  std::string stagingPath(const std::string& name);
  // Where `name` will be after commit().
  std::string finalPath(const std::string& name) const;
  // Moves every staged file into the output folder; returns their final paths.
  std::vector<std::string> commit();

 private:
  std::string outDir_, stagingDir_;
  std::vector<std::string> names_;
};

}  // namespace cfx::io
