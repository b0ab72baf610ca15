#!/usr/bin/env bash
# The whole test suite, as CI runs it. It first installs what the tests
# need and is missing: Debian's chromium and python3-libtorrent (as root,
# with apt-get) and the pinned npm packages; then it checks formatting and
# vet, and runs every Go test with the race detector. Browser and WebRTC
# tests run inside a loopback-only network namespace (they re-execute
# themselves under `unshare -n`), which needs root.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
/usr/bin/python3 -c 'import libtorrent' 2>/dev/null || need_apt+=(python3-libtorrent)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${need_apt[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: run as root, or install these Debian packages first: ${need_apt[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${need_apt[@]}" >/dev/null ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${need_apt[@]}" >/dev/null; }
fi

echo "== npm packages"
./scripts/web-assets.sh
# The Node interop test runs the bittorrent-tracker client; --ignore-scripts
# for the same reason as in web-assets.sh (its WebRTC module ships its
# binary in npm packages and needs no install script).
(cd e2e/node && { [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ] ||
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error; })

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
# Make "cannot isolate on loopback" a failure rather than a skip.
export SWARMBRIDGE_REQUIRE_NETNS=1
# Same for the database tests' PostgreSQL half (127.0.0.1:5432, user
# postgres; SWARMBRIDGE_TEST_POSTGRES_URL points elsewhere).
export SWARMBRIDGE_REQUIRE_POSTGRES=1
go test -race -count=1 -timeout 25m ./...
