#!/usr/bin/env bash
# WebSocket (WebTorrent signaling): Swarmbridge vs bittorrent-tracker, and
# Swarmbridge over wss:// (terminating TLS itself: swarmbridge-wss; behind
# nginx terminating TLS: nginx-swarmbridge, where the CPU of both counts).
#
#   ws-fixed:  1,000 announces/s from 1,000 connections, 10 offers each,
#              half of the relayed offers answered; compare server CPU per
#              delivered message (responses + relayed offers + answers) and
#              the p99 latency.
#   ws-closed: the same peers in closed loop (-inflight 1): announces/s.
#
# Each workload runs on a fresh tracker pinned to CPU $SERVER_CPU, the
# generator on CPU $GEN_CPU. Settings: see bench/lib.sh, plus
#   SERVERS="swarmbridge swarmbridge-wss nginx-swarmbridge bittorrent-tracker"
#   CONNS=1000 RATE=1000
#   OFFERS=10 ANSWER_RATIO=0.5 SDP_SIZE=1500 INFOHASHES=20 INFLIGHT=1
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SERVERS=${SERVERS:-swarmbridge swarmbridge-wss nginx-swarmbridge bittorrent-tracker}
CONNS=${CONNS:-1000}
RATE=${RATE:-1000}
OFFERS=${OFFERS:-10}
ANSWER_RATIO=${ANSWER_RATIO:-0.5}
SDP_SIZE=${SDP_SIZE:-1500}
INFOHASHES=${INFOHASHES:-20}
INFLIGHT=${INFLIGHT:-1}
SEED=${SEED:-1}

[ "${SKIP_SETUP:-}" = 1 ] || { machine_info; build; }

common=(-transport ws -conns "$CONNS" -offers "$OFFERS" -answer-ratio "$ANSWER_RATIO" -sdp-size "$SDP_SIZE"
  -infohashes "$INFOHASHES" -seed "$SEED" -source-ips "$SRC_IPS" -duration "$DURATION" -warmup "$WARMUP")

for server in $SERVERS; do
  say "== $server: ws-fixed ($RATE announces/s)"
  start_server "$server" ws
  gen "$server" ws-fixed -target "$TARGET_WS" "${common[@]}" -rate "$RATE"
  stop_server

  say "== $server: ws-closed"
  start_server "$server" ws
  gen "$server" ws-closed -target "$TARGET_WS" "${common[@]}" -inflight "$INFLIGHT"
  stop_server
done

[ "${SKIP_SUMMARY:-}" = 1 ] || summarize "ws-fixed ws-closed"
