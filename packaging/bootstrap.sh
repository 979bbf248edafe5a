#!/usr/bin/env bash
# Installs the Debian packages the project needs (when missing), then configures and builds it.
# Used by run-main.sh and run-tests.sh; safe to run again (does nothing that is already done).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${CFX_BUILD_DIR:-$root/build}"

# libdnnl-dev: the headers of oneDNN, which LibTorch already uses (core/prepared_convolution).
# orthanc and dicom3tools: the PACS tests run a real DICOM server and validate what we write;
# clang and its runtimes (libFuzzer, sanitizers, OpenMP): packaging/fuzz.sh.
packages=(cmake ninja-build g++ pkg-config libtorch-dev qt6-base-dev libdcmtk-dev libopencv-dev
  nlohmann-json3-dev libdnnl-dev orthanc dicom3tools clang libclang-rt-14-dev libomp-14-dev openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "cfx: installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

jobs="$(nproc)"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCFX_BUILD_TESTS=ON ${CFX_CMAKE_ARGS:-}
cmake --build "$build" -j "$jobs"
