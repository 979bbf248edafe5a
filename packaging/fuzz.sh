#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, AddressSanitizer, UBSan; tests/fuzz/) in build-fuzz/ and
# runs each for SECONDS (default 60) from the committed seed corpora (tests/fuzz/corpus/NAME),
# growing a working corpus in build-fuzz/corpus/NAME. Fails on the first crash, leak, timeout,
# sanitizer report or input that makes a harness use more than 2 GB; prints executions per harness.
#   packaging/fuzz.sh [SECONDS] [HARNESS...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${CFX_FUZZ_BUILD_DIR:-$root/build-fuzz}"
seconds="${1:-60}"
shift || true
harnesses=("$@")
((${#harnesses[@]})) || harnesses=(fuzz_dicom fuzz_png fuzz_manifest fuzz_model_json fuzz_safetensors fuzz_pacs_nodes)

mkdir -p "$build"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCFX_FUZZ=ON -DCFX_BUILD_TESTS=OFF -DCFX_UNITY_BUILD=ON > "$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 1; }
cmake --build "$build" --target fuzz_all -j "$(nproc)"

# LibTorch and DCMTK keep process-wide caches that LeakSanitizer would report at exit.
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export OMP_NUM_THREADS=1
printf '%-18s %12s %10s %8s\n' harness executions "exec/s" seconds
for h in "${harnesses[@]}"; do
  corpus="$build/corpus/$h"
  mkdir -p "$corpus" "$build/findings/$h"
  log="$build/$h.log"
  if ! "$build/tests/fuzz/$h" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 \
      -print_final_stats=1 -artifact_prefix="$build/findings/$h/" \
      "$corpus" "$root/tests/fuzz/corpus/${h#fuzz_}" > "$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz.sh: $h found a problem; the input is in $build/findings/$h/" >&2
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  printf '%-18s %12s %10s %8s\n' "$h" "$runs" "$((runs / (seconds > 0 ? seconds : 1)))" "$seconds"
done
