#!/usr/bin/env bash
# The load generator's own ceiling: the same workloads as ws.sh, http.sh and
# udp.sh against bench/nullserver, a tracker that does nothing but answer
# (and, for WebSocket, send each announce's offers and each answer straight
# back, so the generator handles as many messages as against a real one).
# If the generator runs at 100 % of its CPU here, these rates are the most
# any benchmark on this machine can show; if the null server is the one at
# 100 %, they are a lower bound.
#
#   ceiling-ws-closed   ws.sh's peers, closed loop
#   ceiling-ws-fixed    ws.sh's fixed rate: generator CPU per message at 1,000 announces/s
#   ceiling-http-closed http.sh's clients, keep-alive
#   ceiling-http-close  the same, a new connection per request (as against opentracker)
#   ceiling-udp-closed  udp.sh's sockets
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SEED=${SEED:-1}
INFOHASHES=20

[ "${SKIP_SETUP:-}" = 1 ] || { machine_info; build; }

ws=(-transport ws -conns "${WS_CONNS:-1000}" -offers 10 -answer-ratio 0.5 -sdp-size 1500 -infohashes 20
  -source-ips "$SRC_IPS" -duration "$DURATION" -warmup "$WARMUP")
http=(-transport http -conns "${HTTP_CONNS:-64}" -scrape-ratio 0.2 -infohashes 1000 -source-ips "$SRC_IPS"
  -duration "$DURATION" -warmup "$WARMUP")
udp=(-transport udp -conns "${UDP_CONNS:-8}" -inflight "${UDP_INFLIGHT:-16}" -scrape-ratio 0.2 -infohashes 1000
  -source-ips "$SRC_IPS" -duration "$DURATION" -warmup "$WARMUP")

say "== nullserver"
start_server nullserver -
gen nullserver ceiling-ws-closed -target "$TARGET_WS" "${ws[@]}"
gen nullserver ceiling-ws-fixed -target "$TARGET_WS" "${ws[@]}" -rate "${RATE:-1000}"
gen nullserver ceiling-http-closed -target "$TARGET_HTTP" "${http[@]}"
gen nullserver ceiling-udp-closed -target "$TARGET_UDP" "${udp[@]}"
stop_server

start_server nullserver-close -
gen nullserver-close ceiling-http-close -target "$TARGET_HTTP" "${http[@]}"
stop_server

[ "${SKIP_SUMMARY:-}" = 1 ] || summarize "ceiling-ws-closed ceiling-ws-fixed ceiling-http-closed ceiling-http-close ceiling-udp-closed"
