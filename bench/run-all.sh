#!/usr/bin/env bash
# Every benchmark, ROUNDS times, then the medians per workload and tracker.
#
#   ROUNDS=3 DURATION=10s WARMUP=2s bench/run-all.sh
#   SCRIPTS="ws http udp ws-memory generator-ceiling" (default: all of them)
#
# Results (one JSON line per run) and logs go to $RESULTS (default
# bench/results/<time>/); the tables are printed at the end.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-3}
SCRIPTS=${SCRIPTS:-ws http udp ws-memory generator-ceiling}

machine_info
build
ensure_node
ensure_opentracker

for round in $(seq "$ROUNDS"); do
  for s in $SCRIPTS; do
    say ""
    say "######## round $round/$ROUNDS: $s.sh"
    ROUND=$round SKIP_SETUP=1 SKIP_SUMMARY=1 run "$BENCH_DIR/$s.sh" || say "$s.sh failed (round $round); going on"
  done
done

say ""
say "######## summary: $ROUNDS round(s), DURATION=$DURATION WARMUP=$WARMUP, load average now $(cut -d' ' -f1-3 /proc/loadavg)"
summarize "ws-fixed ws-closed http-closed udp-closed ceiling-ws-closed ceiling-ws-fixed ceiling-http-closed ceiling-http-close ceiling-udp-closed"
summarize_memory
