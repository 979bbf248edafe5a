#!/usr/bin/env bash
# Builds the .deb with cpack, unpacks it into a fresh folder and runs the installed tools from
# there: the command-line tool on a bundled sample with the bundled model, and the explorer's
# headless screenshot mode.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${CFX_BUILD_DIR:-$root/build}"
(cd "$build" && cpack -G DEB > /dev/null)
deb="$(ls -t "$build"/cfx_*.deb | head -1)"
dpkg-deb --field "$deb" Package Version Installed-Size Depends
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
dpkg-deb -x "$deb" "$scratch/root"
usr="$scratch/root/usr"
for f in bin/cfx bin/cfx-explorer share/cfx/models/phantom/model.json share/cfx/models/cxr/model.json \
         share/cfx/samples/phantom/phantom_s0.dcm share/applications/cfx-explorer.desktop; do
  [ -e "$usr/$f" ] || { echo "missing from the package: $f"; exit 1; }
done
"$usr/bin/cfx" counterfactual --model "$usr/share/cfx/models/phantom" \
  --image "$usr/share/cfx/samples/phantom/phantom_s0.dcm" --do left_lung_area=-20% --out "$scratch/cf" --threads 2
[ -s "$scratch/cf/counterfactual.dcm" ] && [ -s "$scratch/cf/counterfactual.png" ]
# The explorer finds the bundled real-data model beside itself (../share/cfx/models/cxr).
QT_QPA_PLATFORM=offscreen "$usr/bin/cfx-explorer" "$usr/share/cfx/samples/real_shenzhen_0027.dcm" \
  --screenshot "$scratch/shot.png"
[ -s "$scratch/shot.png" ]
echo "package OK: $deb ($(du -h "$deb" | cut -f1))"
