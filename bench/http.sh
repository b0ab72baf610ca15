#!/usr/bin/env bash
# HTTP announce + scrape, closed loop: Swarmbridge vs opentracker (which
# closes every connection after one response, so the generator reconnects
# for each request) and bittorrent-tracker with its /stats off.
#
# Settings: see bench/lib.sh, plus
#   SERVERS="swarmbridge opentracker bittorrent-tracker"  CONNS=64
#   SCRAPE_RATIO=0.2 INFOHASHES=1000 NUMWANT=50
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SERVERS=${SERVERS:-swarmbridge opentracker bittorrent-tracker}
CONNS=${CONNS:-64}
SCRAPE_RATIO=${SCRAPE_RATIO:-0.2}
INFOHASHES=${INFOHASHES:-1000}
NUMWANT=${NUMWANT:-50}
SEED=${SEED:-1}

[ "${SKIP_SETUP:-}" = 1 ] || { machine_info; build; }

for server in $SERVERS; do
  say "== $server: http-closed"
  start_server "$server" http
  gen "$server" http-closed -transport http -target "$TARGET_HTTP" -conns "$CONNS" -scrape-ratio "$SCRAPE_RATIO" \
    -infohashes "$INFOHASHES" -seed "$SEED" -numwant "$NUMWANT" -source-ips "$SRC_IPS" \
    -duration "$DURATION" -warmup "$WARMUP"
  stop_server
done

[ "${SKIP_SUMMARY:-}" = 1 ] || summarize "http-closed"
