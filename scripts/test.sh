#!/usr/bin/env bash
# The whole test suite, as CI runs it. It first installs what the tests
# need and is missing: Debian's chromium, python3-libtorrent and
# opentracker (as root, with apt-get) and the pinned npm packages; then it
# checks formatting and vet, and runs every Go test with the race
# detector. Browser and WebRTC
# tests run inside a loopback-only network namespace (they re-execute
# themselves under `unshare -n`), which needs root.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
/usr/bin/python3 -c 'import libtorrent' 2>/dev/null || need_apt+=(python3-libtorrent)
# swarmbridge check is tested against Debian's opentracker (internal/check).
command -v opentracker >/dev/null || need_apt+=(opentracker)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${need_apt[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: run as root, or install these Debian packages first: ${need_apt[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${need_apt[@]}" >/dev/null ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${need_apt[@]}" >/dev/null; }
  # opentracker's package enables a service on every address's port 6969,
  # Swarmbridge's default; where systemd runs, stop it (the tests start
  # their own on loopback).
  if [[ " ${need_apt[*]} " == *" opentracker "* ]] && command -v systemctl >/dev/null &&
    systemctl is-system-running >/dev/null 2>&1; then
    systemctl disable --now opentracker >/dev/null 2>&1 || true
  fi
fi

echo "== npm packages"
./scripts/web-assets.sh
# npm_ci installs a folder's pinned npm packages unless its lock file is
# older than what is installed. --ignore-scripts for the same reason as in
# web-assets.sh: the WebRTC module ships its binary in npm packages.
npm_ci() {
  (cd "$1" && { [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ] ||
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error; })
}
npm_ci e2e/node                                     # the bittorrent-tracker client, unmodified
npm_ci signaling/internal/wsconformance/testdata/node # ws, the independent RFC 6455 server
npm_ci bench/node                                   # bittorrent-tracker's server, for swarmbridge check

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi

echo "== go vet"
go vet ./...

echo "== cross-compile (linux, darwin, windows x amd64, arm64)"
./scripts/cross-build.sh

echo "== go test -race"
# Make "cannot isolate on loopback" and "no Redis" failures rather than
# skips (the Redis store's tests need redis-server on 127.0.0.1:6379, and
# redis-server and redis-cli on PATH to start clusters of their own).
export SWARMBRIDGE_REQUIRE_NETNS=1
# Make "node or the ws package missing" a failure of the WebSocket
# conformance suite's cross-check rather than a skip.
export SWARMBRIDGE_REQUIRE_NODE=1
export SWARMBRIDGE_REQUIRE_REDIS=1
# Same for the database tests' PostgreSQL half (127.0.0.1:5432, user
# postgres; SWARMBRIDGE_TEST_POSTGRES_URL points elsewhere).
export SWARMBRIDGE_REQUIRE_POSTGRES=1
go test -race -count=1 -timeout 25m ./...
