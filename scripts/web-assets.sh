#!/usr/bin/env bash
# Installs the demo page's pinned npm packages and copies the browser
# bundles it uses into web/static/vendor (ignored by git; go:embed serves
# it). Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/../web"
if [ ! -f package.json ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "web-assets: npm is required to build the demo page (install Node.js 20+)" >&2
  exit 1
fi
# --ignore-scripts: the page only needs the prebuilt browser bundle, and one
# transitive package (ip-set) runs `npx only-allow pnpm` on install, which
# fails under npm.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi
mkdir -p static/vendor
cp node_modules/webtorrent/dist/webtorrent.min.js static/vendor/webtorrent.min.js
# The service worker WebTorrent uses to stream media while it downloads.
cp node_modules/webtorrent/dist/sw.min.js static/vendor/sw.min.js
