#!/bin/sh
# Counters of one Redis for swarmbridge-load -window-probe (bench/redis.sh
# runs it at the start and the end of each measured window): name=number
# lines, from one INFO ALL.
#
#   redis_cpu_s           used_cpu_user + used_cpu_sys (Redis's own getrusage)
#   redis_commands        total_commands_processed: every command, including
#                         those a script calls (redis.call)
#   redis_client_commands commands sent by clients: every command in
#                         commandstats but those the tracker's scripts call
#                         (swarm.lua, registry.lua) and this probe's INFO
#   redis_script_calls    EVALSHA, EVAL (and their _RO forms)
#   redis_fcalls          FCALL, FCALL_RO
#   redis_publishes       PUBLISH, SPUBLISH
#   redis_reads           total_reads_processed: read events on client
#                         sockets, so at most the round trips clients made
#   redis_used_memory     used_memory, bytes
#
# Usage: redis-probe.sh PORT
set -eu
redis-cli -h 127.0.0.1 -p "$1" info all | tr -d '\r' | awk -F'[:,=]' '
BEGIN {
  # Commands swarm.lua and registry.lua call; clients never send them.
  n = split("del hdel hget hgetall hincrby hmget hset pexpire pexpireat time zadd zcard zrandmember zrange zrangebyscore zrem zscore info", a, " ")
  for (i = 1; i <= n; i++) nested[a[i]] = 1
}
/^used_cpu_user:/ { cpu += $2 }
/^used_cpu_sys:/ { cpu += $2 }
/^total_commands_processed:/ { print "redis_commands=" $2 }
/^total_reads_processed:/ { print "redis_reads=" $2 }
/^used_memory:/ { print "redis_used_memory=" $2 }
/^cmdstat_/ {
  name = substr($1, 9)
  calls = $3
  if (!(name in nested)) client += calls
  if (name == "evalsha" || name == "eval" || name == "evalsha_ro" || name == "eval_ro") scripts += calls
  if (name == "fcall" || name == "fcall_ro") fcalls += calls
  if (name == "publish" || name == "spublish") publishes += calls
}
END {
  printf "redis_cpu_s=%.6f\n", cpu
  print "redis_client_commands=" client + 0
  print "redis_script_calls=" scripts + 0
  print "redis_fcalls=" fcalls + 0
  print "redis_publishes=" publishes + 0
}'
