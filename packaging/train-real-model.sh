#!/usr/bin/env bash
# Reproduces models/cxr from the two public data sets as this project received them (DATA_DIR
# holds shenzhen/ and wingspan/, see models/cxr/MODEL_CARD.md): imports each in its own layout
# at 128 px with a fixed split (seed 0, 20 % validation), merges them, then `cfx train all`
# trains every stage that is not finished yet (pretrained stages in MODEL_DIR-pretrained, then
# Pos-Seg-CFT into WORK_DIR/pos-seg-cft), and the chain of Seg-CFT runs that models/cxr had after
# it (runs h to h9 of its card: each starts from the previous one's model; the last one writes
# MODEL_DIR). Interrupted stages resume and finished ones are kept, so running this again
# continues; the imported data sets and the intermediate models stay in WORK_DIR (never committed).
#   packaging/train-real-model.sh DATA_DIR [MODEL_DIR] [WORK_DIR]
# CFX_TRAIN_ARGS: extra options of `cfx train all` (e.g. --steps-scale 0.6); CFX_SEG_CFT_SCALE:
# multiplies the chain's steps (default 1; a small value makes a quick trial of the script).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -lt 1 ]; then
  echo "usage: $0 DATA_DIR [MODEL_DIR] [WORK_DIR]  (DATA_DIR holds shenzhen/ and wingspan/)" >&2
  exit 2
fi
data="$(cd "$1" && pwd)"
model="${2:-$root/out/cxr-model}"
work="${3:-$root/out/real-data}"
"$root/packaging/bootstrap.sh"
cfx="${CFX_BUILD_DIR:-$root/build}/app/cfx"

mkdir -p "$work"
[ -f "$work/shenzhen/manifest.csv" ] ||
  "$cfx" data import nlm-tb "$data/shenzhen" --out "$work/shenzhen" --size 128 --seed 0 --val-fraction 0.2
[ -f "$work/wingspan/manifest.csv" ] ||
  "$cfx" data import folder "$data/wingspan/png" --mask heart_area="$data/wingspan/mask/heart" \
    --mask right_lung_area="$data/wingspan/mask/right_lung" \
    --mask left_lung_area="$data/wingspan/mask/left_lung" \
    --out "$work/wingspan" --size 128 --seed 0 --val-fraction 0.2
[ -f "$work/cxr/manifest.csv" ] || "$cfx" data merge "$work/shenzhen" "$work/wingspan" --out "$work/cxr"
"$cfx" data check --data "$work/cxr"
"$cfx" train all --data "$work/cxr" --out "$work/pos-seg-cft" --pretrained "$model-pretrained" \
  ${CFX_TRAIN_ARGS:-}

# Seg-CFT against the segmentor's measured areas with a weak locality term at the borders and a
# smoothness term: 2000 steps at smoothness 0.5, then six runs of 1500 at 1, then two more at twice
# the area weight (steps, smoothness weight, area weight per run; each run measures its own ELBO
# bound from the model it starts from).
scaled() { awk -v n="$1" -v f="${CFX_SEG_CFT_SCALE:-1}" 'BEGIN { s = int(n * f); print (s < 1 ? 1 : s) }'; }
runs=("2000 0.5 5" "1500 1 5" "1500 1 5" "1500 1 5" "1500 1 5" "1500 1 5" "1500 1 5" "1500 1 10" "1500 1 10")
previous="$work/pos-seg-cft"
run=0
for spec in "${runs[@]}"; do
  read -r steps smoothness area_weight <<<"$spec"
  run=$((run + 1))
  out="$work/seg-cft-$run"
  [ "$run" -eq "${#runs[@]}" ] && out="$model"
  echo "Seg-CFT run $run of ${#runs[@]} -> $out"
  "$cfx" train cft --model "$previous" --data "$work/cxr" --guidance seg --out "$out" --batch 8 \
    --lr 8e-4 --damping 10 --area-weight "$area_weight" --area-targets measured --intervention-values relative \
    --locality-weight 0.2 --locality-region boundary --locality-interior-weight 0.1 \
    --smoothness-weight "$smoothness" --steps "$(scaled "$steps")"
  previous="$out"
done
echo "model folder: $model (compare with models/cxr: cfx evaluate --model $model --data $work/cxr --split val ...)"
