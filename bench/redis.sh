#!/usr/bin/env bash
# Distributed mode: Swarmbridge on Redis against Swarmbridge in memory, one
# node each; then two nodes on one Redis with the generator's connections
# spread over both.
#
#   memory / redis, one node:
#     ws-closed   1,000 WebSocket peers, 10 offers per announce, half
#                 answered, 20 torrents, closed loop (-inflight 1)
#     ws-fixed    the same peers at 1,000 announces/s
#     http-closed 64 keep-alive clients, 20 % scrapes, 1,000 torrents
#     udp-closed  8 sockets x 16 in flight, 20 % scrapes, 1,000 torrents
#   redis-2nodes: ws-closed and ws-fixed with -target node1,node2 (each
#     torrent's peers half on each node): the share of relayed offers and
#     answers that crossed nodes, and the offer latency of same-node and
#     cross-node offers.
#
# Redis is a redis-server of the script's own on a free loopback port (no
# persistence), emptied and its statistics reset before every run, so its
# INFO counters are this benchmark's alone. bench/redis-probe.sh reads
# them at the start and the end of each measured window
# (swarmbridge-load -window-probe): Redis CPU time, scripts, commands from
# clients, PUBLISHes and read events. Tracker CPU comes from -pid as
# everywhere (both nodes summed for redis-2nodes).
#
# Pinning: the tracker node(s) and Redis share SERVER_CPU, the generator
# has GEN_CPU: on two cores the "server side" is one core either way, so
# the memory and Redis runs compare what one core of tracker does.
#
# Settings: see bench/lib.sh, plus
#   ROUNDS=3 (each workload, memory and Redis alternating)
#   REDIS_CPU=$SERVER_CPU  REDIS_PORT (default: the first free from 16379)
#   WS_CONNS=1000 RATE=1000 OFFERS=10 ANSWER_RATIO=0.5 SDP_SIZE=1500 WS_INFOHASHES=20
#   HTTP_CONNS=64 UDP_CONNS=8 UDP_INFLIGHT=16 SCRAPE_RATIO=0.2 INFOHASHES=1000 NUMWANT=50
#   WORKLOADS="ws-closed ws-fixed http-closed udp-closed" TWO_NODES=1
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-3}
REDIS_CPU=${REDIS_CPU:-$SERVER_CPU}
WS_CONNS=${WS_CONNS:-1000}
RATE=${RATE:-1000}
OFFERS=${OFFERS:-10}
ANSWER_RATIO=${ANSWER_RATIO:-0.5}
SDP_SIZE=${SDP_SIZE:-1500}
WS_INFOHASHES=${WS_INFOHASHES:-20}
HTTP_CONNS=${HTTP_CONNS:-64}
UDP_CONNS=${UDP_CONNS:-8}
UDP_INFLIGHT=${UDP_INFLIGHT:-16}
SCRAPE_RATIO=${SCRAPE_RATIO:-0.2}
INFOHASHES=${INFOHASHES:-1000}
NUMWANT=${NUMWANT:-50}
SEED=${SEED:-1}
WORKLOADS=${WORKLOADS:-ws-closed ws-fixed http-closed udp-closed}
TWO_NODES=${TWO_NODES:-1}
SB2_TCP=${SB2_TCP:-18010}
SB2_UDP=${SB2_UDP:-16979}

command -v redis-server >/dev/null && command -v redis-cli >/dev/null || {
  say "redis-server and redis-cli are needed (apt-get install redis-server)"
  exit 1
}

[ "${SKIP_SETUP:-}" = 1 ] || { machine_info; build; }
say "redis: $(redis-server --version)"
say "uptime before: $(uptime)"

if [ -z "${REDIS_PORT:-}" ]; then
  REDIS_PORT=16379
  while ss -Hltn "sport = :$REDIS_PORT" | grep -q .; do REDIS_PORT=$((REDIS_PORT + 1)); done
fi
REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
mkdir -p "$RESULTS/logs"
show_cmd taskset -c "$REDIS_CPU" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no
taskset -c "$REDIS_CPU" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
  >"$RESULTS/logs/redis-server.log" 2>&1 &
REDIS_PID=$!
STARTED_PIDS+=("$REDIS_PID")
for _ in $(seq 100); do
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -p "$REDIS_PORT" ping >/dev/null

# fresh_redis empties Redis and resets its statistics before a run.
fresh_redis() {
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
  redis-cli -p "$REDIS_PORT" config resetstat >/dev/null
}

# start_node STORE TCP UDP: one Swarmbridge node pinned to SERVER_CPU.
start_node() {
  local store=$1 tcp=$2 udp=$3 redis=()
  [ "$store" = redis ] && redis=(SWARMBRIDGE_REDIS_URL="$REDIS_URL")
  start_bg "swarmbridge-$store" env SWARMBRIDGE_HTTP_ADDR="127.0.0.1:$tcp" SWARMBRIDGE_UDP_ADDR="127.0.0.1:$udp" \
    SWARMBRIDGE_STORE="$store" "${redis[@]}" SWARMBRIDGE_LOG_LEVEL=warn \
    taskset -c "$SERVER_CPU" "$BIN/swarmbridge"
  wait_tcp "$tcp"
  wait_udp "$udp"
}

# start_nodes SERVER: memory (one node), redis (one node) or redis-2nodes;
# sets TARGET_WS, TARGET_HTTP, TARGET_UDP (lists for two nodes).
start_nodes() {
  fresh_redis
  case $1 in
    memory | redis)
      start_node "$1" "$SB_TCP" "$SB_UDP"
      TARGET_WS="ws://127.0.0.1:$SB_TCP"
      TARGET_HTTP="http://127.0.0.1:$SB_TCP/announce"
      TARGET_UDP="127.0.0.1:$SB_UDP"
      ;;
    redis-2nodes)
      start_node redis "$SB_TCP" "$SB_UDP"
      start_node redis "$SB2_TCP" "$SB2_UDP"
      TARGET_WS="ws://127.0.0.1:$SB_TCP,ws://127.0.0.1:$SB2_TCP"
      TARGET_HTTP="http://127.0.0.1:$SB_TCP/announce,http://127.0.0.1:$SB2_TCP/announce"
      TARGET_UDP="127.0.0.1:$SB_UDP,127.0.0.1:$SB2_UDP"
      # Each node must see the other before the load (one heartbeat, 1 s).
      local i
      for i in $(seq 100); do
        [ "$(curl -s "http://127.0.0.1:$SB_TCP/stats" | jq -r .nodes)" = 2 ] &&
          [ "$(curl -s "http://127.0.0.1:$SB2_TCP/stats" | jq -r .nodes)" = 2 ] && break
        sleep 0.1
      done
      ;;
  esac
  sleep 0.5 # let the runtime settle
}

ws_common=(-transport ws -conns "$WS_CONNS" -offers "$OFFERS" -answer-ratio "$ANSWER_RATIO" -sdp-size "$SDP_SIZE"
  -infohashes "$WS_INFOHASHES" -seed "$SEED" -source-ips "$SRC_IPS" -duration "$DURATION" -warmup "$WARMUP")

# workload SERVER NAME: one run of workload NAME against SERVER.
workload() {
  local server=$1 name=$2
  say "== $server: $name"
  start_nodes "$server"
  local probe=(-window-probe "$BENCH_DIR/redis-probe.sh $REDIS_PORT")
  case $name in
    ws-closed) gen "$server" "$name" -target "$TARGET_WS" "${ws_common[@]}" -inflight 1 "${probe[@]}" ;;
    ws-fixed) gen "$server" "$name" -target "$TARGET_WS" "${ws_common[@]}" -rate "$RATE" "${probe[@]}" ;;
    http-closed)
      gen "$server" "$name" -transport http -target "$TARGET_HTTP" -conns "$HTTP_CONNS" -scrape-ratio "$SCRAPE_RATIO" \
        -infohashes "$INFOHASHES" -seed "$SEED" -numwant "$NUMWANT" -source-ips "$SRC_IPS" \
        -duration "$DURATION" -warmup "$WARMUP" "${probe[@]}"
      ;;
    udp-closed)
      gen "$server" "$name" -transport udp -target "$TARGET_UDP" -conns "$UDP_CONNS" -inflight "$UDP_INFLIGHT" \
        -scrape-ratio "$SCRAPE_RATIO" -infohashes "$INFOHASHES" -seed "$SEED" -numwant "$NUMWANT" \
        -source-ips "$SRC_IPS" -duration "$DURATION" -warmup "$WARMUP" "${probe[@]}"
      ;;
  esac
  stop_server
}

for round in $(seq "$ROUNDS"); do
  ROUND=$round
  say ""
  say "######## round $round/$ROUNDS (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  for w in $WORKLOADS; do
    workload memory "$w"
    workload redis "$w"
  done
  if [ "$TWO_NODES" = 1 ]; then
    workload redis-2nodes ws-closed
    workload redis-2nodes ws-fixed
  fi
done
say ""
say "uptime after: $(uptime)"

[ "${SKIP_SUMMARY:-}" = 1 ] || summarize_redis
