#pragma once

// Marks a loop kernel to be compiled for AVX-512, AVX2 and the baseline (SSE2); the loader picks
// the CPU's best. GCC if-converts selections inside such loops only without trapping math (the
// program never enables floating-point traps; clang assumes none by default).
#if defined(__clang__)
#define CFX_VECTOR_KERNEL __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CFX_VECTOR_KERNEL \
  __attribute__((target_clones("avx512f", "avx2", "default"), optimize("no-trapping-math")))
#endif
