#include "atomic_file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "io_error.h"

namespace cfx::io {

std::string temporaryPathFor(const std::string& path) {
  return path + ".partial-" + std::to_string(::getpid());
}

void commitTemporary(const std::string& temporary, const std::string& path) {
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    throw IoError(path, "write", "cannot move the finished file into place");
  }
}

void writeFileAtomically(const std::string& path, const std::vector<unsigned char>& bytes) {
  const std::string temporary = temporaryPathFor(path);
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out)
      throw IoError(path, "write",
                    "cannot create the file (does the folder exist and is it writable?)");
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    if (!out.flush()) {
      out.close();
      std::filesystem::remove(temporary);
      throw IoError(path, "write", "writing failed (disk full?)");
    }
  }
  commitTemporary(temporary, path);
}

void refuseToOverwriteInput(const std::string& input, const std::string& output) {
  std::error_code error;
  if (std::filesystem::exists(output, error) && std::filesystem::equivalent(input, output, error))
    throw IoError(output, "output",
                  "is the input file; choose another output path (inputs are never overwritten)");
}

}  // namespace cfx::io
