#pragma once

#include <string>
#include <vector>

#include "phantom_scm.h"

namespace cfx::phantom {

struct StoredSubject {
  std::string id;
  Exogenous noise;
};

// exogenous.bin: the stored noise of every subject of a phantom data set. Little-endian binary:
// magic "CFXEXOG", a format version, the subject count, then per subject a length-prefixed id,
// five float64 noise terms and the uint64 image seed. Writing is atomic (temporary file, rename).
void writeExogenous(const std::string& path, const std::vector<StoredSubject>& subjects);
std::vector<StoredSubject> readExogenous(const std::string& path);

}  // namespace cfx::phantom
