#!/usr/bin/env bash
# UDP (BEP 15) announce + scrape, closed loop: Swarmbridge vs opentracker
# and bittorrent-tracker.
#
# Settings: see bench/lib.sh, plus
#   SERVERS="swarmbridge opentracker bittorrent-tracker"  CONNS=8 INFLIGHT=16
#   SCRAPE_RATIO=0.2 INFOHASHES=1000 NUMWANT=50
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SERVERS=${SERVERS:-swarmbridge opentracker bittorrent-tracker}
CONNS=${CONNS:-8}
INFLIGHT=${INFLIGHT:-16}
SCRAPE_RATIO=${SCRAPE_RATIO:-0.2}
INFOHASHES=${INFOHASHES:-1000}
NUMWANT=${NUMWANT:-50}
SEED=${SEED:-1}

[ "${SKIP_SETUP:-}" = 1 ] || { machine_info; build; }

for server in $SERVERS; do
  say "== $server: udp-closed"
  start_server "$server" udp
  gen "$server" udp-closed -transport udp -target "$TARGET_UDP" -conns "$CONNS" -inflight "$INFLIGHT" \
    -scrape-ratio "$SCRAPE_RATIO" -infohashes "$INFOHASHES" -seed "$SEED" -numwant "$NUMWANT" \
    -source-ips "$SRC_IPS" -duration "$DURATION" -warmup "$WARMUP"
  stop_server
done

[ "${SKIP_SUMMARY:-}" = 1 ] || summarize "udp-closed"
