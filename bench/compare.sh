#!/usr/bin/env bash
# Two or more builds of Swarmbridge side by side, e.g. before and after a
# refactor, with the same load generator, rounds interleaved (the order
# reverses every round, so a machine that drifts hurts neither side):
#
#   git worktree add /tmp/old <commit> && (cd /tmp/old && go build -o /tmp/sb-old ./cmd/swarmbridge)
#   go build -o /tmp/sb-new ./cmd/swarmbridge
#   ROUNDS=3 bench/compare.sh old=/tmp/sb-old new=/tmp/sb-new
#
# SCRIPTS (default "ws http udp") picks the workloads; DURATION, WARMUP
# and the scripts' own variables work as in run-all.sh. Results go to
# $RESULTS/<name>/results.jsonl; at the end, run-all.sh's table of
# medians for each build.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-3}
SCRIPTS=${SCRIPTS:-ws http udp}
[ $# -ge 2 ] || { echo "usage: bench/compare.sh NAME=BINARY NAME=BINARY [...]" >&2; exit 2; }
names=()
declare -A bins
for arg in "$@"; do
  names+=("${arg%%=*}")
  bins[${arg%%=*}]=${arg#*=}
  [ -x "${arg#*=}" ] || { echo "compare.sh: ${arg#*=} is not an executable" >&2; exit 2; }
done

machine_info
build # the generator and nullserver; the tracker binary is replaced below
for round in $(seq "$ROUNDS"); do
  order=("${names[@]}")
  if [ $((round % 2)) = 0 ]; then
    order=()
    for ((i = ${#names[@]} - 1; i >= 0; i--)); do order+=("${names[i]}"); done
  fi
  for name in "${order[@]}"; do
    say ""
    say "######## round $round/$ROUNDS: $name (load average $(cut -d' ' -f1 /proc/loadavg))"
    cp "${bins[$name]}" "$BIN/swarmbridge"
    mkdir -p "$RESULTS/$name"
    for s in $SCRIPTS; do
      RESULTS="$RESULTS/$name" ROUND=$round SERVERS=swarmbridge SKIP_SETUP=1 SKIP_SUMMARY=1 \
        run "$BENCH_DIR/$s.sh" || say "$s.sh failed ($name, round $round); going on"
    done
  done
done

say ""
say "######## medians over $ROUNDS round(s), per build"
for name in "${names[@]}"; do
  say "== $name"
  RESULTS="$RESULTS/$name" summarize "ws-fixed ws-closed http-closed udp-closed"
done
