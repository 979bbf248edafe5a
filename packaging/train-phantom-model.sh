#!/usr/bin/env bash
# Reproduces models/phantom from nothing: generates the phantom data sets, then `cfx train all`
# trains every stage that is not finished yet (pretrained stages in MODEL_DIR-pretrained, then
# Pos-Seg-CFT on image cells with the locality term into MODEL_DIR). Interrupted stages resume,
# so running this again continues.
#   packaging/train-phantom-model.sh [MODEL_DIR] [DATA_DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="${1:-$root/out/phantom-model}"
data="${2:-$root/out/training-data}"
"$root/packaging/bootstrap.sh"
cfx="${CFX_BUILD_DIR:-$root/build}/app/cfx"

mkdir -p "$data"
[ -f "$data/phantom-2k/manifest.csv" ] || "$cfx" phantom --out "$data/phantom-2k" --count 2000 --size 128 --seed 1
[ -f "$data/phantom-20k/manifest.csv" ] || "$cfx" phantom --out "$data/phantom-20k" --count 20000 --size 64 --seed 2
"$cfx" train all --data "$data/phantom-2k" --scm-data "$data/phantom-20k" --out "$model"
echo "model folder: $model (compare with models/phantom: cfx evaluate --model $model ...)"
