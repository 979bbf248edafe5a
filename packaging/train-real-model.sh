#!/usr/bin/env bash
# Reproduces models/cxr from the two public data sets as this project received them (DATA_DIR
# holds shenzhen/ and wingspan/, see models/cxr/MODEL_CARD.md): imports each in its own layout
# at 128 px with a fixed split (seed 0, 20 % validation), merges them, then `cfx train all`
# trains every stage that is not finished yet (pretrained stages in MODEL_DIR-pretrained, then
# fine-tuning into MODEL_DIR). Interrupted stages resume, so running this again continues; the
# imported data sets stay in WORK_DIR (never committed).
#   packaging/train-real-model.sh DATA_DIR [MODEL_DIR] [WORK_DIR]
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
"$cfx" train all --data "$work/cxr" --out "$model" ${CFX_TRAIN_ARGS:-}
echo "model folder: $model (compare with models/cxr: cfx evaluate --model $model --data $work/cxr --split val ...)"
