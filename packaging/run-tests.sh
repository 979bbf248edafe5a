#!/usr/bin/env bash
# The README's test command: install what is missing, build, and run the whole Qt Test suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${CFX_BUILD_DIR:-$root/build}"
"$root/packaging/bootstrap.sh"
cd "$build"
ctest --output-on-failure -j "$(nproc)" --no-tests=error
# Every fuzz harness for a short while, so that a regression in a loader shows here too
# (packaging/fuzz.sh SECONDS runs them longer).
"$root/packaging/fuzz.sh" "${CFX_FUZZ_SECONDS:-15}"
