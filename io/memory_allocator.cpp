#include "memory_allocator.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace cfx::io {

void keepTensorMemoryInProcess() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  // Blocks over that ceiling come from the heap too (a 256 px training batch's activations are
  // 100 MiB each), and the heap is never trimmed: a training step frees everything after its
  // backward pass, and the next one would fault the same pages in again.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, -1);
#endif
}

}  // namespace cfx::io
