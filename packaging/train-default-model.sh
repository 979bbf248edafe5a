#!/usr/bin/env bash
# Reproduces models/default from nothing: generates the phantom data sets, then trains every stage
# that the folder does not have yet. Each stage resumes from its checkpoint when interrupted, so
# running this again continues where it stopped.
#   packaging/train-default-model.sh [MODEL_DIR] [DATA_DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="${1:-$root/models/default}"
data="${2:-$root/out/training-data}"
"$root/packaging/bootstrap.sh"
cfx="${CFX_BUILD_DIR:-$root/build}/app/cfx"

mkdir -p "$data"
[ -f "$data/phantom-2k/manifest.csv" ] || "$cfx" phantom --out "$data/phantom-2k" --count 2000 --size 128 --seed 1
[ -f "$data/phantom-20k/manifest.csv" ] || "$cfx" phantom --out "$data/phantom-20k" --count 20000 --size 64 --seed 2

has() { [ -f "$model/model.json" ] && grep -q "\"$1\": {" "$model/model.json"; }
has segmentor || "$cfx" train segmentor --data "$data/phantom-2k" --out "$model" --steps 2000 --batch 8 --lr 3e-3 --seed 0
has eval_segmentor || "$cfx" train segmentor --data "$data/phantom-2k" --out "$model" --component eval_segmentor \
  --width 12 --steps 1500 --batch 8 --lr 3e-3 --seed 1
has predictors || "$cfx" train predictors --data "$data/phantom-2k" --out "$model" --steps 2500 --batch 16 --lr 2e-3 --seed 0
has scm || "$cfx" train scm --data "$data/phantom-20k" --out "$model"
has hvae || "$cfx" train hvae --data "$data/phantom-2k" --out "$model" --steps 8000 --batch 8 --lr 1e-3 --seed 0
echo "model folder: $model"
