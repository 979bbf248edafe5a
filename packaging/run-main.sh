#!/usr/bin/env bash
# The README's main command: install what is missing, build, and run the main job.
# Until the explorer exists, the main job makes a phantom data set with its gallery and a true
# counterfactual, and runs the bundled model on the sample studies, all in ./out (or $CFX_OUT).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${CFX_BUILD_DIR:-$root/build}"
out="${CFX_OUT:-$root/out}"
"$root/packaging/bootstrap.sh"
cfx="$build/app/cfx"

mkdir -p "$out"
data="$out/phantom-$(date +%Y%m%d-%H%M%S)"
"$cfx" phantom --out "$data" --count 2000 --size 128 --seed 1
"$cfx" phantom gallery --data "$data" --out "$out/gallery.png"
"$cfx" phantom counterfactual --data "$data" --id s000000 --do left_lung_area=-20% \
  --out "$out/s000000_left_lung_minus20.png" --mask-out "$out/s000000_left_lung_minus20_mask.png"
for sample in "$root"/resources/samples/*.dcm; do
  name="$(basename "$sample" .dcm)"
  "$cfx" counterfactual --model "$root/models/default" --image "$sample" --do left_lung_area=-20% \
    --out "$out/counterfactuals/$name"
done
echo
echo "data set:        $data"
echo "gallery:         $out/gallery.png"
echo "counterfactuals: $out/counterfactuals/ (bundled model, before counterfactual fine-tuning)"
