#include "memory_allocator.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace cfx::io {

void keepTensorMemoryInProcess() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  // Trimming the heap's top after each free would give the same pages back just as often.
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
#endif
}

}  // namespace cfx::io
