# Shared by the bench/*.sh scripts: building, starting the trackers pinned
# to one CPU, running the load generator pinned to another, collecting JSON
# results and printing tables. Source it; do not run it.
#
# Settings (environment variables, all optional):
#   DURATION=10s WARMUP=2s   measured window and unmeasured warm-up of each run
#   SERVER_CPU=0 GEN_CPU=1   CPUs the tracker and the generator are pinned to
#   RESULTS=dir              where results.jsonl and logs go (default bench/results/<time>)
#   ROUND=1                  tag of the round (run-all.sh sets it)
#   SRC_IPS=127.0.0.1,...    source addresses of the generator's sockets
#   SB_TCP/SB_UDP, BT_TCP/BT_UDP, OT_TCP/OT_UDP, NGX_TLS, NULL_WS/NULL_HTTP/NULL_HTTP_CLOSE/NULL_UDP: ports
#   SWARMBRIDGE_*            passed to Swarmbridge as usual (abuse limits are off by default here)
#
# Servers (start_server): swarmbridge, bittorrent-tracker, opentracker,
# nullserver, nullserver-close; and for wss://, swarmbridge-wss (Swarmbridge
# terminating TLS itself, SWARMBRIDGE_TLS_CERT/_KEY) and nginx-swarmbridge
# (Debian's nginx terminating TLS in front of Swarmbridge's plain ws://,
# with bench/nginx.conf; both pinned to SERVER_CPU, and both counted).

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BIN="$BENCH_DIR/.bin"
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
SERVER_CPU=${SERVER_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
ROUND=${ROUND:-1}
SRC_IPS=${SRC_IPS:-127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4}
SB_TCP=${SB_TCP:-18000}
SB_UDP=${SB_UDP:-16969}
BT_TCP=${BT_TCP:-18001}
BT_UDP=${BT_UDP:-16971}
OT_TCP=${OT_TCP:-18002}
OT_UDP=${OT_UDP:-16972}
NULL_WS=${NULL_WS:-18100}
NULL_HTTP=${NULL_HTTP:-18101}
NULL_HTTP_CLOSE=${NULL_HTTP_CLOSE:-18103}
NULL_UDP=${NULL_UDP:-18102}
NGX_TLS=${NGX_TLS:-18443}
# nginx worker processes (bench/nginx.conf): one, unless connections need
# more descriptors than one process may have (ws-memory.sh).
NGINX_WORKERS=${NGINX_WORKERS:-1}
if [ -z "${RESULTS:-}" ]; then
  RESULTS="$BENCH_DIR/results/$(date +%Y%m%d-%H%M%S)"
fi
mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)
export RESULTS

# Swarmbridge's abuse limits are meant for the public internet; one load
# generator is one address sending far more than any client, and the
# reference trackers have no such limits. Switch them off unless the
# caller set them. (Variables an older build does not know are ignored.)
for v in WS_MAX_CONNS WS_MAX_CONNS_PER_IP WS_ANNOUNCES_PER_CONN ANNOUNCES_PER_IP UDP_REQUESTS_PER_IP; do
  n="SWARMBRIDGE_$v"
  if [ -z "${!n+x}" ]; then export "$n=0"; fi
done

# One process may have at most `ulimit -Hn` files open: take all of them.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

STARTED_PIDS=()
cleanup() {
  local p
  for p in "${STARTED_PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${STARTED_PIDS[@]}"; do
    wait "$p" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*" >&2; }

# show_cmd prints a command line the way it can be pasted into a shell.
show_cmd() {
  local out="+" a
  for a in "$@"; do out+=" $(printf '%q' "$a")"; done
  say "$out"
}

# run prints a command and runs it in the foreground.
run() {
  show_cmd "$@"
  "$@"
}

machine_info() {
  say "== machine"
  say "nproc: $(nproc)"
  say "cpu: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
  say "kernel: $(uname -srm)"
  say "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  say "memory: $(free -h | awk '/^Mem:/ {print $2 " total, " $7 " available"}')"
  say "ulimit -n: $(ulimit -n)"
  say "go: $(go version 2>/dev/null || echo none)"
  say "node: $(node --version 2>/dev/null || echo none)"
  say "opentracker: $(dpkg-query -W -f='${Version}' opentracker 2>/dev/null || echo none)"
  say "bittorrent-tracker: $(sed -n 's/^  "version": "\(.*\)",/\1/p' "$BENCH_DIR/node/node_modules/bittorrent-tracker/package.json" 2>/dev/null || echo none)"
  say "swarmbridge: $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
  say "pinning: server on CPU $SERVER_CPU, generator on CPU $GEN_CPU"
  say "results: $RESULTS"
  {
    echo "nproc=$(nproc)"
    echo "cpu=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
    echo "kernel=$(uname -r)"
    echo "loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"
  } >"$RESULTS/machine.txt"
}

build() {
  say "== build"
  mkdir -p "$BIN"
  (cd "$ROOT" &&
    run go build -trimpath -o "$BIN/swarmbridge" ./cmd/swarmbridge &&
    run go build -trimpath -o "$BIN/swarmbridge-load" ./cmd/swarmbridge-load &&
    run go build -trimpath -o "$BIN/nullserver" ./bench/nullserver)
}

ensure_node() {
  if [ ! -f "$BENCH_DIR/node/node_modules/.package-lock.json" ] ||
    [ "$BENCH_DIR/node/package-lock.json" -nt "$BENCH_DIR/node/node_modules/.package-lock.json" ]; then
    say "== npm ci (bittorrent-tracker)"
    (cd "$BENCH_DIR/node" && run npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  fi
}

ensure_opentracker() {
  if command -v opentracker >/dev/null; then return; fi
  say "== installing Debian's opentracker"
  if [ "$(id -u)" -ne 0 ]; then
    say "opentracker is missing: apt-get install opentracker (as root)"
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  run apt-get install -y --no-install-recommends opentracker >/dev/null ||
    { run apt-get update >/dev/null && run apt-get install -y --no-install-recommends opentracker >/dev/null; }
  # The package enables a service that listens on every address; where
  # systemd runs, stop it: the benchmark starts its own, on loopback.
  if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
    systemctl disable --now opentracker >/dev/null 2>&1 || true
  fi
}

# wait_listen tcp|udp PORT: wait until something listens on the port,
# failing early (with the server's log) if the server died.
wait_listen() {
  local proto=$1 port=$2 i flag=-Hltn
  [ "$proto" = udp ] && flag=-Hlun
  for i in $(seq 300); do
    if ss "$flag" "sport = :$port" | grep -q .; then return 0; fi
    if [ -n "${SERVER_PID:-}" ] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
      say "the server exited before listening on $proto port $port; its log ($SERVER_LOG):"
      tail -20 "$SERVER_LOG" >&2 || true
      return 1
    fi
    sleep 0.1
  done
  say "nothing listens on $proto port $port after 30 s; server log ($SERVER_LOG):"
  tail -20 "$SERVER_LOG" >&2 || true
  return 1
}
wait_tcp() { wait_listen tcp "$1"; }
wait_udp() { wait_listen udp "$1"; }

# start_bg NAME CMD...: start CMD in the background with its output in
# $RESULTS/logs/NAME-<n>.log; sets SERVER_PID and SERVER_LOG.
START_SEQ=0
start_bg() {
  local name=$1
  shift
  show_cmd "$@"
  mkdir -p "$RESULTS/logs"
  START_SEQ=$((START_SEQ + 1))
  SERVER_LOG="$RESULTS/logs/$name-r$ROUND-$$-$START_SEQ.log"
  "$@" >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  STARTED_PIDS+=("$SERVER_PID")
  SERVER_PIDS+=("$SERVER_PID")
}

# SERVER_PIDS: every process started for the server under test (the
# tracker, and nginx in front of it).
SERVER_PIDS=()

stop_server() {
  local p
  for p in "${SERVER_PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${SERVER_PIDS[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  SERVER_PIDS=()
  SERVER_PID=
  GEN_TLS=()
}

# server_pids prints the processes whose CPU time and memory count for the
# server under test, comma-separated: what start_bg started and their
# children (nginx's worker).
server_pids() {
  local p c out=()
  for p in "${SERVER_PIDS[@]}"; do
    out+=("$p")
    for c in $(pgrep -P "$p" 2>/dev/null || true); do out+=("$c"); done
  done
  (IFS=,; echo "${out[*]}")
}

# server_rss prints the VmRSS, in KiB, of every process of server_pids.
server_rss() {
  local p sum=0 v
  for p in $(server_pids | tr , ' '); do
    v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}

# GEN_TLS: the generator's flags for the server's wss:// target (set by
# start_server).
GEN_TLS=()

# ensure_tls_cert makes a self-signed P-256 certificate for 127.0.0.1 (once,
# in $BIN/tls) and sets TLS_CERT and TLS_KEY.
ensure_tls_cert() {
  TLS_CERT="$BIN/tls/cert.pem"
  TLS_KEY="$BIN/tls/key.pem"
  if [ -s "$TLS_CERT" ] && [ -s "$TLS_KEY" ]; then return; fi
  mkdir -p "$BIN/tls"
  run openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj /CN=swarmbridge-bench -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$TLS_KEY" -out "$TLS_CERT" 2>/dev/null
}

ensure_nginx() {
  if command -v nginx >/dev/null; then return; fi
  say "== installing Debian's nginx"
  if [ "$(id -u)" -ne 0 ]; then
    say "nginx is missing: apt-get install nginx (as root)"
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  run apt-get install -y --no-install-recommends nginx >/dev/null ||
    { run apt-get update >/dev/null && run apt-get install -y --no-install-recommends nginx >/dev/null; }
  # The package enables a service on port 80; where systemd runs, stop it:
  # the benchmark starts its own, on loopback, with its own configuration.
  if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
    systemctl disable --now nginx >/dev/null 2>&1 || true
  fi
}

# start_server NAME TRANSPORTS: start one tracker pinned to SERVER_CPU and
# set SERVER_PID, TARGET_WS, TARGET_HTTP and TARGET_UDP. INFOHASHES and
# SEED must be set (opentracker only serves whitelisted hashes).
start_server() {
  local name=$1 transports=$2
  case $name in
    swarmbridge)
      start_bg "$name" env SWARMBRIDGE_HTTP_ADDR="127.0.0.1:$SB_TCP" SWARMBRIDGE_UDP_ADDR="127.0.0.1:$SB_UDP" \
        SWARMBRIDGE_LOG_LEVEL=warn taskset -c "$SERVER_CPU" "$BIN/swarmbridge"
      wait_tcp "$SB_TCP"
      wait_udp "$SB_UDP"
      TARGET_WS="ws://127.0.0.1:$SB_TCP"
      TARGET_HTTP="http://127.0.0.1:$SB_TCP/announce"
      TARGET_UDP="127.0.0.1:$SB_UDP"
      ;;
    swarmbridge-wss)
      ensure_tls_cert
      start_bg "$name" env SWARMBRIDGE_HTTP_ADDR="127.0.0.1:$SB_TCP" SWARMBRIDGE_UDP_ADDR="127.0.0.1:$SB_UDP" \
        SWARMBRIDGE_TLS_CERT="$TLS_CERT" SWARMBRIDGE_TLS_KEY="$TLS_KEY" \
        SWARMBRIDGE_LOG_LEVEL=warn taskset -c "$SERVER_CPU" "$BIN/swarmbridge"
      wait_tcp "$SB_TCP"
      wait_udp "$SB_UDP"
      TARGET_WS="wss://127.0.0.1:$SB_TCP"
      TARGET_HTTP="https://127.0.0.1:$SB_TCP/announce"
      TARGET_UDP="127.0.0.1:$SB_UDP"
      GEN_TLS=(-ca-file "$TLS_CERT")
      ;;
    nginx-swarmbridge)
      # nginx terminates TLS and proxies to Swarmbridge's plain port, as
      # the README's reverse-proxy section configures it.
      ensure_tls_cert
      ensure_nginx
      start_bg swarmbridge env SWARMBRIDGE_HTTP_ADDR="127.0.0.1:$SB_TCP" SWARMBRIDGE_UDP_ADDR="127.0.0.1:$SB_UDP" \
        SWARMBRIDGE_TRUSTED_PROXIES=127.0.0.1 SWARMBRIDGE_LOG_LEVEL=warn taskset -c "$SERVER_CPU" "$BIN/swarmbridge"
      wait_tcp "$SB_TCP"
      wait_udp "$SB_UDP"
      local prefix="$RESULTS/nginx-$ROUND-$$-$START_SEQ"
      mkdir -p "$prefix/logs"
      sed -e "s|@LISTEN@|127.0.0.1:$NGX_TLS|" -e "s|@UPSTREAM@|127.0.0.1:$SB_TCP|" \
        -e "s|@CERT@|$TLS_CERT|" -e "s|@KEY@|$TLS_KEY|" -e "s|@PREFIX@|$prefix|g" -e "s|@WORKERS@|$NGINX_WORKERS|" \
        "$BENCH_DIR/nginx.conf" >"$prefix/nginx.conf"
      start_bg nginx taskset -c "$SERVER_CPU" nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log"
      wait_tcp "$NGX_TLS"
      TARGET_WS="wss://127.0.0.1:$NGX_TLS"
      TARGET_HTTP="https://127.0.0.1:$NGX_TLS/announce"
      TARGET_UDP="127.0.0.1:$SB_UDP"
      GEN_TLS=(-ca-file "$TLS_CERT")
      ;;
    bittorrent-tracker)
      ensure_node
      start_bg "$name" taskset -c "$SERVER_CPU" node "$BENCH_DIR/node/bt-server.mjs" \
        --host 127.0.0.1 --tcp-port "$BT_TCP" --udp-port "$BT_UDP" --transports "$transports"
      case $transports in *ws* | *http*) wait_tcp "$BT_TCP" ;; esac
      case $transports in *udp*) wait_udp "$BT_UDP" ;; esac
      TARGET_WS="ws://127.0.0.1:$BT_TCP"
      TARGET_HTTP="http://127.0.0.1:$BT_TCP/announce"
      TARGET_UDP="127.0.0.1:$BT_UDP"
      ;;
    opentracker)
      ensure_opentracker
      # Debian builds it in whitelist mode (README.Debian) and it chroots
      # into -d before it reads the whitelist, so the list lives in the
      # chroot and is named relative to it. It binds only what -i/-p/-P
      # name: loopback.
      local root="$RESULTS/opentracker-root"
      mkdir -p "$root"
      "$BIN/swarmbridge-load" -print-infohashes -infohashes "$INFOHASHES" -seed "$SEED" >"$root/whitelist.txt"
      chmod 755 "$root"
      chmod 644 "$root/whitelist.txt"
      start_bg "$name" taskset -c "$SERVER_CPU" opentracker -i 127.0.0.1 -p "$OT_TCP" -P "$OT_UDP" \
        -d "$root" -u nobody -w whitelist.txt
      wait_tcp "$OT_TCP"
      wait_udp "$OT_UDP"
      if ss -Hltun | grep -E ":($OT_TCP|$OT_UDP)\b" | grep -vq '127.0.0.1:'; then
        say "opentracker listens beyond loopback; stopping"
        exit 1
      fi
      TARGET_HTTP="http://127.0.0.1:$OT_TCP/announce"
      TARGET_UDP="127.0.0.1:$OT_UDP"
      ;;
    nullserver)
      start_bg "$name" taskset -c "$SERVER_CPU" "$BIN/nullserver" -ws "127.0.0.1:$NULL_WS" \
        -http "127.0.0.1:$NULL_HTTP" -udp "127.0.0.1:$NULL_UDP"
      wait_tcp "$NULL_WS"
      wait_tcp "$NULL_HTTP"
      wait_udp "$NULL_UDP"
      TARGET_WS="ws://127.0.0.1:$NULL_WS"
      TARGET_HTTP="http://127.0.0.1:$NULL_HTTP/announce"
      TARGET_UDP="127.0.0.1:$NULL_UDP"
      ;;
    nullserver-close)
      start_bg "$name" taskset -c "$SERVER_CPU" "$BIN/nullserver" -http "127.0.0.1:$NULL_HTTP_CLOSE" -http-close
      wait_tcp "$NULL_HTTP_CLOSE"
      TARGET_HTTP="http://127.0.0.1:$NULL_HTTP_CLOSE/announce"
      ;;
    *)
      say "unknown server $name"
      exit 2
      ;;
  esac
  sleep 0.5 # let the runtime settle (Node's JIT, Go's first GC)
}

# gen SERVER WORKLOAD ARGS...: run the generator pinned to GEN_CPU against
# the running server, append its JSON result to results.jsonl.
gen() {
  local server=$1 workload=$2
  shift 2
  local cmd=(taskset -c "$GEN_CPU" "$BIN/swarmbridge-load" "$@" "${GEN_TLS[@]}" -pid "$(server_pids)"
    -tag "server=$server,workload=$workload,round=$ROUND" -json)
  show_cmd "${cmd[@]}"
  local out
  if ! out=$("${cmd[@]}" 2> >(tee -a "$RESULTS/generator.log" >&2)); then
    say "generator failed against $server ($workload)"
    return 0
  fi
  printf '%s\n' "$out" >>"$RESULTS/results.jsonl"
}

# The table of one or more workloads: medians over rounds.
JQ_MEDIAN='def median: map(select(. != null)) | sort | if length == 0 then null elif length % 2 == 1 then .[(length - 1) / 2] else (.[length / 2 - 1] + .[length / 2]) / 2 end;'

summarize() {
  local workloads=$1
  [ -s "$RESULTS/results.jsonl" ] || return 0
  say ""
  say "== results ($workloads; median of rounds; CPU per delivered message = responses + relayed offers + relayed answers)"
  jq -s -r --arg w "$workloads" "$JQ_MEDIAN"'
    ($w | split(" ")) as $ws
    | map(select(.tags.workload as $x | $ws | index($x)))
    | group_by([.tags.workload, .tags.server])
    | (["workload", "server", "rounds", "responses/s", "offers/s", "answers/s", "delivered/s", "p50 ms", "p99 ms", "max ms",
        "server CPU %", "server µs/msg", "gen CPU %", "gen µs/msg", "errors", "missed"] | @tsv),
      (.[] | [.[0].tags.workload, .[0].tags.server, length,
        (map(.responses_per_s) | median), (map(.offers_received_per_s) | median), (map(.answers_received_per_s) | median),
        (map(.delivered_per_s) | median), (map(.latency_p50_ms) | median), (map(.latency_p99_ms) | median),
        (map(.latency_max_ms) | median), (map(.server_cpu_util * 100 | round) | median),
        (map(.server_cpu_per_delivered_us) | median), (map(.generator_cpu_util * 100 | round) | median),
        (map(.generator_cpu_per_delivered_us) | median), (map(.errors_total) | median), (map(.counts.missed) | median)]
        | map(if type == "number" then (. * 100 | round / 100) else . end) | @tsv)' \
    "$RESULTS/results.jsonl" | column -t -s $'\t' >&2
}

summarize_memory() {
  [ -s "$RESULTS/memory.jsonl" ] || return 0
  say ""
  say "== results (ws-memory; median of rounds)"
  jq -s -r "$JQ_MEDIAN"'
    group_by([.server, .offers])
    | (["server", "offers", "rounds", "conns open", "RSS before KiB", "RSS after KiB", "bytes/conn", "errors"] | @tsv),
      (.[] | [.[0].server, .[0].offers, length, (map(.conns_open) | median), (map(.rss_before_kb) | median),
        (map(.rss_after_kb) | median), (map(.bytes_per_conn) | median | round), (map(.errors_total) | median)] | @tsv)' \
    "$RESULTS/memory.jsonl" | column -t -s $'\t' >&2
}

# summarize_redis: the tables of bench/redis.sh (medians of rounds). Per
# response = per announce for WebSocket (no scrapes there); Redis figures
# come from the window probe (bench/redis-probe.sh).
summarize_redis() {
  [ -s "$RESULTS/results.jsonl" ] || return 0
  local per='def per($n; $d): if ($n == null or $d == null or $d == 0) then null else $n / $d end;'
  say ""
  say "== results (redis.sh; median of rounds; µs/msg = CPU per delivered message; per resp = per announce or scrape response)"
  jq -s -r "$JQ_MEDIAN$per"'
    map(select(.tags.server | test("^(memory|redis)")))
    | group_by([.tags.workload, .tags.server])
    | (["workload", "server", "rounds", "responses/s", "delivered/s", "p50 ms", "p99 ms", "tracker CPU %", "tracker µs/msg",
        "tracker µs/resp", "Redis CPU %", "Redis µs/resp", "scripts/resp", "client cmds/resp", "Redis reads/resp",
        "relays/PUBLISH", "errors"] | @tsv),
      (.[] | [.[0].tags.workload, .[0].tags.server, length,
        (map(.responses_per_s) | median), (map(.delivered_per_s) | median),
        (map(.latency_p50_ms) | median), (map(.latency_p99_ms) | median),
        (map(.server_cpu_util * 100) | median), (map(.server_cpu_per_delivered_us) | median),
        (map(per(.server_cpu_s * 1e6; .responses)) | median),
        (map(if .tags.server == "memory" then null else per(.window_deltas.redis_cpu_s * 100; .duration_s) end) | median),
        (map(if .tags.server == "memory" then null else per(.window_deltas.redis_cpu_s * 1e6; .responses) end) | median),
        (map(if .tags.server == "memory" then null else per(.window_deltas.redis_script_calls; .responses) end) | median),
        (map(if .tags.server == "memory" then null else per(.window_deltas.redis_client_commands; .responses) end) | median),
        (map(if .tags.server == "memory" then null else per(.window_deltas.redis_reads; .responses) end) | median),
        (map(per(.counts.offers_cross_target + .counts.answers_cross_target; .window_deltas.redis_publishes)) | median),
        (map(.errors_total) | median)]
        | map(if type == "number" then (. * 100 | round / 100) else . end) | @tsv)' \
    "$RESULTS/results.jsonl" | column -t -s $'\t' >&2
  say ""
  say "== WebSocket relays between nodes (redis.sh; median of rounds; offer latency = sender's announce to the offer's arrival)"
  jq -s -r "$JQ_MEDIAN"'
    map(select(.transport == "ws" and (.tags.server | test("^(memory|redis)"))))
    | group_by([.tags.workload, .tags.server])
    | (["workload", "server", "rounds", "cross-node share", "offers crossed", "answers crossed", "offer p50 ms", "offer p99 ms",
        "same-node p50", "same-node p99", "cross-node p50", "cross-node p99", "added p50", "added p99"] | @tsv),
      (.[] | [.[0].tags.workload, .[0].tags.server, length,
        (map(.relayed_cross_target_share // 0) | median), (map(.offers_cross_target_share // 0) | median),
        (map(.answers_cross_target_share // 0) | median),
        (map(.offer_latency_p50_ms) | median), (map(.offer_latency_p99_ms) | median),
        (map(.offer_latency_same_target_p50_ms) | median), (map(.offer_latency_same_target_p99_ms) | median),
        (map(.offer_latency_cross_target_p50_ms) | median), (map(.offer_latency_cross_target_p99_ms) | median),
        (map(select(.offer_latency_cross_target_samples > 0) | .offer_latency_cross_target_p50_ms - .offer_latency_same_target_p50_ms) | median),
        (map(select(.offer_latency_cross_target_samples > 0) | .offer_latency_cross_target_p99_ms - .offer_latency_same_target_p99_ms) | median)]
        | map(if type == "number" then (. * 1000 | round / 1000) else . end) | @tsv)' \
    "$RESULTS/results.jsonl" | column -t -s $'\t' >&2
  say ""
  say "== redis against memory, one node (ratio of medians)"
  jq -s -r "$JQ_MEDIAN"'
    map(select(.tags.server == "memory" or .tags.server == "redis"))
    | group_by(.tags.workload)
    | (["workload", "responses/s redis / memory", "tracker µs/msg redis / memory"] | @tsv),
      (.[] | (map(select(.tags.server == "memory"))) as $m | (map(select(.tags.server == "redis"))) as $r
        | select(($m | length) > 0 and ($r | length) > 0)
        | [.[0].tags.workload,
           (($r | map(.responses_per_s) | median) / ($m | map(.responses_per_s) | median)),
           (($r | map(.server_cpu_per_delivered_us) | median) / ($m | map(.server_cpu_per_delivered_us) | median))]
        | map(if type == "number" then (. * 100 | round / 100) else . end) | @tsv)' \
    "$RESULTS/results.jsonl" | column -t -s $'\t' >&2
}
