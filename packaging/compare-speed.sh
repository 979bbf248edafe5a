#!/usr/bin/env bash
# Times this build's engine beside an earlier commit's, in one run on this machine: `cfx bench`
# of both, idle and beside a load (a two-thread LibTorch job and one busy process), and one
# `cfx counterfactual` of both under the same load. Absolute times differ between machines of
# the same kind by 2x; the ratios of one run do not.
#
#   packaging/compare-speed.sh [BASELINE_CFX | COMMIT]   (default: commit 6e72a65)
#
# A COMMIT is checked out into a temporary worktree and its `cfx` built there first (about 30
# minutes on 2 cores). Environment: CFX_BUILD_DIR (this build, default build/), REPEATS (15).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
new="${CFX_BUILD_DIR:-$root/build}/app/cfx"
repeats="${REPEATS:-15}"
baseline="${1:-6e72a65}"
[ -x "$new" ] || { echo "compare-speed: build this tree first ($new is missing)" >&2; exit 2; }

if [ ! -x "$baseline" ]; then
  tree="$(mktemp -d)/baseline"
  git -C "$root" worktree add --detach "$tree" "$baseline" >/dev/null
  trap 'git -C "$root" worktree remove --force "$tree"' EXIT
  echo "building $baseline's cfx in $tree ..."
  cmake -S "$tree" -B "$tree/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  ninja -C "$tree/build" cfx >/dev/null
  baseline="$tree/build/app/cfx"
fi
sample="$root/resources/samples/phantom/phantom_s0.dcm"
model="$root/models/phantom"
scratch="$(mktemp -d)"
load_pids=()
stop_load() {
  for pid in "${load_pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  load_pids=()
}
trap 'stop_load; rm -rf "$scratch"' EXIT INT TERM

counterfactual_ms() {  # what one `cfx counterfactual` prints of its prediction's time
  "$1" counterfactual --model "$model" --image "$sample" --do left_lung_area=-20% \
    --out "$scratch/cf" | sed -n 's/^prediction \(.*\) on .*/\1/p'
}

echo "== idle: $baseline"
"$baseline" bench --sizes 128,256 --devices cpu --repeats "$repeats"
echo "== idle: $new"
"$new" bench --sizes 128,256 --devices cpu --repeats "$repeats"
echo "== idle: one cfx counterfactual (prediction ms): baseline $(counterfactual_ms "$baseline"), new $(counterfactual_ms "$new")"

echo "== load: a two-thread LibTorch job (cfx bench --sizes 256) and one busy process"
"$new" bench --sizes 256 --devices cpu --precisions fp32 --repeats 10000 --batch 0 \
  --threads 2 >/dev/null &
load_pids+=($!)
sh -c 'while :; do :; done' &
load_pids+=($!)
sleep 3
echo "== loaded: $baseline"
"$baseline" bench --sizes 128 --devices cpu --repeats "$repeats" --batch 1
echo "== loaded: $new"
"$new" bench --sizes 128 --devices cpu --precisions fp32 --repeats "$repeats" --batch 0
echo "== loaded: one cfx counterfactual (prediction ms): baseline $(counterfactual_ms "$baseline"), new $(counterfactual_ms "$new")"
stop_load
