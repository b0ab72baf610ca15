#!/usr/bin/env bash
# WebSocket memory: RSS of the tracker with 15,000 idle connections, over
# ws:// and over wss:// (Swarmbridge terminating TLS itself, and nginx
# terminating it in front of Swarmbridge's ws://, where the RSS of both
# counts).
#
# For each tracker: start it, read VmRSS, open CONNS connections spread
# over several 127.0.0.x source addresses (one address has ~28k ephemeral
# ports, one process at most `ulimit -Hn` files), announce once on each
# (event started; with OFFERS offers, of which half are answered), wait
# until they are idle, read VmRSS again; (after - before) / connections is
# the cost of one idle connection with its peer entry. OFFERS=0 (default)
# measures just that; OFFERS=10 adds what the tracker keeps after relaying
# a real first announce (remembered offers) and whatever the relay burst
# of 150,000 offers leaves in the heap.
#
# Settings: see bench/lib.sh, plus
#   SERVERS="swarmbridge swarmbridge-wss nginx-swarmbridge bittorrent-tracker"
#   CONNS=15000  HOLD=20s  SETTLE=5
#   OFFERS=0 ANSWER_RATIO=0.5 INFOHASHES=20
#   SRC_IPS defaults to 127.0.0.1-127.0.0.8 here, NGINX_WORKERS to 2.
set -euo pipefail
SRC_IPS=${SRC_IPS:-127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8}
# nginx holds two descriptors per proxied connection: spread them over two
# workers (see bench/nginx.conf).
NGINX_WORKERS=${NGINX_WORKERS:-2}
. "$(dirname "$0")/lib.sh"

SERVERS=${SERVERS:-swarmbridge swarmbridge-wss nginx-swarmbridge bittorrent-tracker}
CONNS=${CONNS:-15000}
HOLD=${HOLD:-20s}
SETTLE=${SETTLE:-5}
OFFERS=${OFFERS:-0}
ANSWER_RATIO=${ANSWER_RATIO:-0.5}
INFOHASHES=${INFOHASHES:-20}
SEED=${SEED:-1}

[ "${SKIP_SETUP:-}" = 1 ] || { machine_info; build; }

limit=$(ulimit -n)
if [ "$limit" -lt $((CONNS + 200)) ]; then
  say "ulimit -n is $limit, fewer than CONNS=$CONNS + 200: lower CONNS or raise the hard limit"
  exit 1
fi

for server in $SERVERS; do
  say "== $server: ws-memory ($CONNS idle connections)"
  start_server "$server" ws
  sleep 1
  before=$(server_rss)
  say "RSS before: $before KiB"
  log="$RESULTS/ws-memory-$server-$ROUND.log"
  cmd=(taskset -c "$GEN_CPU" "$BIN/swarmbridge-load" -transport ws -target "$TARGET_WS" -idle -conns "$CONNS"
    -offers "$OFFERS" -answer-ratio "$ANSWER_RATIO" -infohashes "$INFOHASHES" -seed "$SEED" -source-ips "$SRC_IPS"
    -duration "$HOLD" -timeout 30s "${GEN_TLS[@]}" -pid "$(server_pids)" -tag "server=$server,workload=ws-memory,round=$ROUND" -json)
  show_cmd "${cmd[@]}"
  "${cmd[@]}" >"$log.json" 2>"$log" &
  genpid=$!
  STARTED_PIDS+=("$genpid")
  for _ in $(seq 600); do
    if grep -q "idle:" "$log" || ! kill -0 "$genpid" 2>/dev/null; then break; fi
    sleep 0.5
  done
  sleep "$SETTLE"
  after=$(server_rss)
  say "RSS after: $after KiB"
  wait "$genpid" || say "generator failed: $(tail -3 "$log")"
  cat "$log" >&2
  stop_server
  if [ -s "$log.json" ]; then
    cat "$log.json" >>"$RESULTS/results.jsonl"
    jq -c --arg server "$server" --argjson before "$before" --argjson after "$after" --argjson round "$ROUND" '
      {server: $server, round: $round, offers: .offers, conns: .conns, conns_open: .conns_open, rss_before_kb: $before, rss_after_kb: $after,
       bytes_per_conn: (if .conns_open > 0 then (($after - $before) * 1024 / .conns_open) else null end),
       errors_total: .errors_total, errors: .errors}' "$log.json" >>"$RESULTS/memory.jsonl"
  fi
done

[ "${SKIP_SUMMARY:-}" = 1 ] || summarize_memory
