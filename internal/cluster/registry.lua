-- The heartbeat of one tracker node, and the registry of live nodes, in one
-- atomic step: the node claims (or keeps) its id, drops the entries of
-- nodes whose heartbeat is older than their TTL, and reads every live node
-- back. Time is Redis's own clock (TIME), so nodes with skewed clocks agree
-- on who is live.
--
-- KEYS[1]: the registry, a hash: node id (decimal) -> "expiry-ms token conns"
-- ARGV: 1 node id (0: claim a free one), 2 token (the node's random
--       identity), 3 TTL (ms), 4 the node's open WebSocket connections,
--       5 a random seed
-- Returns {id, now-ms, id1, conns1, id2, conns2, ...} with every live node
-- (this one included), or {0, now-ms, ...} when the id asked for is held
-- by another live node.

local key = KEYS[1]
local id = tonumber(ARGV[1])
local token, ttl, conns = ARGV[2], tonumber(ARGV[3]), ARGV[4]

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local live, dead = {}, {}
local all = redis.call('HGETALL', key)
for i = 1, #all, 2 do
  local exp, tok, c = string.match(all[i + 1], '^(%d+) (%S+) (%d+)$')
  if exp and tonumber(exp) > now then
    live[all[i]] = {tok, c}
  else
    dead[#dead + 1] = all[i]
  end
end
if #dead > 0 then
  redis.call('HDEL', key, unpack(dead))
end

local function reply(got)
  local out = {got, now}
  for k, v in pairs(live) do
    out[#out + 1] = tonumber(k)
    out[#out + 1] = tonumber(v[2])
  end
  return out
end

if id == 0 then
  math.randomseed(tonumber(ARGV[5]))
  for _ = 1, 64 do
    local c = math.random(1, 65535)
    if not live[tostring(c)] then
      id = c
      break
    end
  end
  if id == 0 then
    for c = 1, 65535 do
      if not live[tostring(c)] then
        id = c
        break
      end
    end
  end
  if id == 0 then
    return redis.error_reply('no free node id: 65535 nodes are live')
  end
else
  local cur = live[tostring(id)]
  if cur and cur[1] ~= token then
    return reply(0)
  end
end

redis.call('HSET', key, tostring(id), string.format('%.0f', now + ttl) .. ' ' .. token .. ' ' .. conns)
live[tostring(id)] = {token, conns}
-- The registry outlives every entry by far, and vanishes with the cluster.
redis.call('PEXPIRE', key, ttl * 20)
return reply(id)
