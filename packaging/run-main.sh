#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, then opens the explorer on the
# bundled real-data model (models/cxr) with the real sample studies of resources/samples. Without
# a display (or with CFX_HEADLESS=1) it runs the headless equivalent instead and says so: the
# counterfactuals of the samples, and the phantom benchmark's evaluation report of
# models/phantom, in ./out (or $CFX_OUT).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${CFX_BUILD_DIR:-$root/build}"
out="${CFX_OUT:-$root/out}"
"$root/packaging/bootstrap.sh"
cfx="$build/app/cfx"
model="$root/models/cxr"
phantom_model="$root/models/phantom"

if [ -z "${CFX_HEADLESS:-}" ] && { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }; then
  echo "opening the explorer on $root/resources/samples (model: $model)"
  exec "$build/app/cfx-explorer" --model "$model" "$root/resources/samples"
fi

echo "no display: running the headless equivalent of the explorer into $out"
mkdir -p "$out"
for sample in "$root"/resources/samples/*.dcm "$root"/resources/samples/phantom/*.dcm; do
  name="$(basename "$sample" .dcm)"
  case "$sample" in */phantom/*) sample_model="$phantom_model" ;; *) sample_model="$model" ;; esac
  "$cfx" counterfactual --model "$sample_model" --image "$sample" --do left_lung_area=-20% \
    --out "$out/counterfactuals/$name-left-lung-minus-20"
  "$cfx" counterfactual --model "$sample_model" --image "$sample" --do heart_area=+20% \
    --out "$out/counterfactuals/$name-heart-plus-20"
done
test_set="$out/phantom-test-seed3"
[ -f "$test_set/manifest.csv" ] || "$cfx" phantom --out "$test_set" --count 200 --size 128 --seed 3
"$cfx" evaluate --model "$phantom_model" --data "$test_set" --split all --interventions 100 --cycles 10 \
  --out "$out/report"
echo
echo "headless run (no display):"
echo "  counterfactuals (PNG, DICOM, difference maps, JSON): $out/counterfactuals/"
echo "  phantom benchmark report of models/phantom:          $out/report/report.html"
echo "  with a display, the same command opens the explorer (build/app/cfx-explorer)"
