#!/usr/bin/env bash
# Builds the static binary for every platform we release: Linux, macOS and
# Windows on amd64 and arm64. CI runs it so a platform-specific break is
# caught before a release. Binaries land in bin/<os>-<arch>/.
set -euo pipefail
cd "$(dirname "$0")/.."
for os in linux darwin windows; do
  for arch in amd64 arm64; do
    out="bin/$os-$arch/swarmbridge"
    [ "$os" = windows ] && out="$out.exe"
    echo "   $os/$arch"
    CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags="-s -w" -o "$out" ./cmd/swarmbridge
  done
done
