-- One atomic step of the Redis swarm store. Every Store call that touches
-- a swarm is one call of this script, so a swarm changes only here and
-- the counters it keeps can never drift from its entries.
--
-- Keys (see keys.go): B is the bucket's base, prefix..'{'..tag..'}', and
-- every key of a swarm and of its bucket starts with it, so they share one
-- Redis Cluster slot and the script may touch the swarms of its bucket
-- that it sweeps.
--   B..'h'..ih  hash  entry key -> record; 's' seeders, 'n' entries,
--                     'd' downloaded, 'x' when the swarm's keys expire (ms)
--   B..'w'..ih  zset  WebRTC entries (peer id) scored by expiry (ms)
--   B..'4'..ih  zset  IPv4 entries (address, port)
--   B..'6'..ih  zset  IPv6 entries (address, port)
--   B..'r'      zset  the bucket's swarms (info hash) scored by a time at
--                     or before their earliest expiry ("due")
--   B..'t'      hash  the bucket's totals: 's' seeders, 'w' WebRTC and
--                     'n' native entries, 'c'..k entries of client k,
--                     'x' when the bucket's keys expire
-- A record is one byte (seeder 1, counted 2, client family * 4) and then
-- the owner (8 bytes) of a WebRTC entry or the peer id of a native one.
--
-- ARGV: 1 op, 2 now (ms), 3 key grace (ms), 4 sweep budget, then per op
--   'a' announce: 5 seed, 6 event, 7 left, 8 list, 9 key, 10 data,
--                 11 client, 12 numwant, 13 families, 14 expiry (ms),
--                 15 live nodes ('' or 2 bytes per node id: WebRTC
--                 entries of other nodes are not picked)
--   'l' leave:    8 list, 9 key, 10 owner
--   's' scrape:   nothing more
--   't' totals:   nothing more (KEYS are the bucket's r and t)
-- KEYS: h, w, 4, 6, r, t of one swarm ('t' op: r, t).
-- An announce returns seeders, leechers, downloaded, the owner it took the
-- entry from ('' if none), the picks (see pick) and 1 if it counted a
-- download (else 0).

local op = ARGV[1]
local now = tonumber(ARGV[2])
local grace = tonumber(ARGV[3])
local budget = tonumber(ARGV[4])

local rkey, tkey, base
if op == 't' then
  rkey, tkey = KEYS[1], KEYS[2]
else
  rkey, tkey = KEYS[5], KEYS[6]
end
base = string.sub(rkey, 1, -2)

local LISTS = {'w', '4', '6'}
local EVENT_COMPLETED, EVENT_STOPPED = 2, 3

local function num(v)
  return tonumber(v) or 0
end

-- ms renders a time exactly: Lua numbers are doubles, and tostring would
-- switch to exponent form for large ones.
local function ms(v)
  return string.format('%.0f', v)
end

local function swarmOf(ih)
  return {ih = ih, h = base .. 'h' .. ih,
    z = {w = base .. 'w' .. ih, ['4'] = base .. '4' .. ih, ['6'] = base .. '6' .. ih}}
end

-- Counter changes are gathered in pending (key -> field -> delta) and
-- written by flush, so trimming many entries costs one HINCRBY per
-- counter rather than several per entry.
local pending = {}

local function bump(key, field, d)
  local p = pending[key]
  if not p then
    p = {}
    pending[key] = p
  end
  p[field] = (p[field] or 0) + d
end

local function flush()
  for key, fields in pairs(pending) do
    for field, d in pairs(fields) do
      if d ~= 0 then
        redis.call('HINCRBY', key, field, d)
      end
    end
  end
  pending = {}
end

-- account adds d (1 or -1) entries of list with record flags f to the
-- swarm's counters (s seeders, n entries) and its bucket's. A swarm
-- whose counters were loaded (see load) keeps its copy in step.
local function account(sw, list, f, d)
  local seeder = f % 2 == 1
  if seeder then
    bump(sw.h, 's', d)
    bump(tkey, 's', d)
  end
  bump(sw.h, 'n', d)
  bump(tkey, list == 'w' and 'w' or 'n', d)
  bump(tkey, 'c' .. math.floor(f / 4), d)
  if sw.n then
    sw.n = sw.n + d
    if seeder then
      sw.s = sw.s + d
    end
  end
end

-- drop deletes a swarm left without entries: its downloads die with it,
-- and it leaves the bucket's registry.
local function drop(sw)
  pending[sw.h] = nil
  redis.call('DEL', sw.h)
  redis.call('ZREM', rkey, sw.ih)
end

-- trim removes the swarm's expired entries if its due time says it may
-- have some, moves its due time to its earliest remaining expiry, and
-- returns the due time (nil for a swarm that does not exist, or no longer
-- does).
local function trim(sw)
  local due = redis.call('ZSCORE', rkey, sw.ih)
  if not due or tonumber(due) > now then
    return tonumber(due)
  end
  local earliest
  for _, list in ipairs(LISTS) do
    local z = sw.z[list]
    -- In pages, so that a swarm with many expired entries never passes
    -- more arguments to one command than Lua's stack holds.
    while true do
      local gone = redis.call('ZRANGEBYSCORE', z, '-inf', now, 'LIMIT', 0, 512)
      if #gone == 0 then
        break
      end
      local recs = redis.call('HMGET', sw.h, unpack(gone))
      for i = 1, #gone do
        if recs[i] then
          account(sw, list, string.byte(recs[i], 1), -1)
        end
      end
      redis.call('HDEL', sw.h, unpack(gone))
      redis.call('ZREM', z, unpack(gone))
    end
    local first = redis.call('ZRANGE', z, 0, 0, 'WITHSCORES')
    if first[2] and (not earliest or tonumber(first[2]) < earliest) then
      earliest = tonumber(first[2])
    end
  end
  if earliest then
    redis.call('ZADD', rkey, ms(earliest), sw.ih)
  else
    drop(sw)
  end
  flush()
  return earliest
end

-- sweep trims up to budget swarms of the bucket whose due time has come,
-- so that swarms nobody announces to still leave the bucket's totals.
local function sweep()
  if budget <= 0 then
    return
  end
  local due = redis.call('ZRANGEBYSCORE', rkey, '-inf', now, 'LIMIT', 0, budget)
  for _, ih in ipairs(due) do
    trim(swarmOf(ih))
  end
end

-- load reads the swarm's counters, and the record of key if given, in one
-- command. Call it after trim.
local function load(sw, key)
  local v = redis.call('HMGET', sw.h, 's', 'n', 'd', 'x', key or 's')
  sw.s, sw.n, sw.d, sw.x = num(v[1]), num(v[2]), num(v[3]), num(v[4])
  if key then
    return v[5]
  end
end

-- extend keeps the swarm's keys, and its bucket's, alive until grace
-- after its latest expiry. They are moved in steps of half the grace, so
-- most announces set no TTL at all. fresh is the list key of an entry
-- this announce created: the key may be new, without a TTL yet.
local function extend(sw, exp, fresh)
  if exp + grace / 2 <= sw.x then
    if fresh then
      redis.call('PEXPIREAT', fresh, ms(sw.x))
    end
    return
  end
  local x = exp + grace
  redis.call('HSET', sw.h, 'x', ms(x))
  redis.call('PEXPIREAT', sw.h, ms(x))
  for _, list in ipairs(LISTS) do
    redis.call('PEXPIREAT', sw.z[list], ms(x))
  end
  -- The bucket's keys outlive all of its swarms' keys; moved ahead by
  -- half a grace more, so that they too move only now and then.
  if x > num(redis.call('HGET', tkey, 'x')) then
    x = x + grace / 2
    redis.call('HSET', tkey, 'x', ms(x))
    redis.call('PEXPIREAT', tkey, ms(x))
    redis.call('PEXPIREAT', rkey, ms(x))
  end
end

-- counts are the loaded swarm's seeders, leechers and downloads.
local function counts(sw)
  return {sw.s, sw.n - sw.s, sw.d}
end

-- sample returns up to k distinct random members of list, never self.
local function sample(sw, list, k, self)
  if k <= 0 then
    return {}
  end
  local extra = self and 1 or 0
  local got = redis.call('ZRANDMEMBER', sw.z[list], k + extra)
  local out = {}
  for _, m in ipairs(got) do
    if m ~= self then
      out[#out + 1] = m
    end
  end
  -- Asked for one more than needed and self was not among them: drop a
  -- random one, since ZRANDMEMBER's order is not always random.
  while #out > k do
    table.remove(out, math.random(#out))
  end
  return out
end

-- liveSet reads the live nodes argument: node ids, 2 bytes each, as the
-- first two bytes of owners are. nil when it is empty (no filtering).
local function liveSet(s)
  if not s or s == '' then
    return nil
  end
  local set = {}
  for i = 1, #s - 1, 2 do
    set[string.sub(s, i, i + 1)] = true
  end
  return set
end

-- MAXASK bounds the WebRTC entries pickLive looks at in one round.
local MAXASK = 1024

-- pickLive samples WebRTC entries other than self whose owner's node is
-- live, asking for more in each round while too few were live, and
-- returns them with their records (possibly more than want: pick keeps a
-- random want of them). Every live entry is equally likely to be among
-- them, since every round samples uniformly.
local function pickLive(sw, self, want, live)
  local z = sw.z['w']
  local n = redis.call('ZCARD', z)
  local chosen, recs, seen = {}, {}, {}
  local ask = math.min(want + 1, MAXASK)
  while ask > 0 do
    local got = redis.call('ZRANDMEMBER', z, ask)
    if #got == 0 then
      break
    end
    local rs = redis.call('HMGET', sw.h, unpack(got))
    for i, m in ipairs(got) do
      local r = rs[i]
      if m ~= self and not seen[m] and r and live[string.sub(r, 2, 3)] then
        seen[m] = true
        chosen[#chosen + 1] = {'w', m}
        recs[#recs + 1] = r
      end
    end
    if #chosen >= want or ask >= n or ask >= MAXASK then
      break
    end
    ask = math.min(ask * 4, n, MAXASK)
  end
  return chosen, recs
end

-- pick returns the picked peers as one string of records: the list byte,
-- the entry key, then the owner (WebRTC) or peer id (native). With live
-- set, WebRTC entries bound to a node that is not live are skipped.
local function pick(sw, list, key, want, families, live)
  if want <= 0 then
    return ''
  end
  local chosen, recs = {}, nil
  if list == 'w' and live then
    chosen, recs = pickLive(sw, key, want, live)
  elseif list == 'w' then
    for _, m in ipairs(sample(sw, 'w', want, key)) do
      chosen[#chosen + 1] = {'w', m}
    end
  else
    local n4, n6 = 0, 0
    if families % 2 == 1 then
      n4 = redis.call('ZCARD', sw.z['4'])
      if list == '4' then n4 = n4 - 1 end
    end
    if families >= 2 then
      n6 = redis.call('ZCARD', sw.z['6'])
      if list == '6' then n6 = n6 - 1 end
    end
    -- Split k between the families as drawing k of n4 + n6 one by one
    -- would, so every set of k candidates is as likely.
    local k = math.min(want, n4 + n6)
    local k4, r4, r6 = 0, n4, n6
    for _ = 1, k do
      if math.random() * (r4 + r6) < r4 then
        k4, r4 = k4 + 1, r4 - 1
      else
        r6 = r6 - 1
      end
    end
    for _, m in ipairs(sample(sw, '4', k4, list == '4' and key or nil)) do
      chosen[#chosen + 1] = {'4', m}
    end
    for _, m in ipairs(sample(sw, '6', k - k4, list == '6' and key or nil)) do
      chosen[#chosen + 1] = {'6', m}
    end
  end
  if #chosen == 0 then
    return ''
  end
  if not recs then
    local fields = {}
    for i, c in ipairs(chosen) do
      fields[i] = c[2]
    end
    recs = redis.call('HMGET', sw.h, unpack(fields))
  end
  local out = {}
  for i = #chosen, 2, -1 do
    local j = math.random(i)
    chosen[i], chosen[j], recs[i], recs[j] = chosen[j], chosen[i], recs[j], recs[i]
  end
  for i, c in ipairs(chosen) do
    if i > want then
      break
    end
    if recs[i] then
      out[#out + 1] = c[1] .. c[2] .. string.sub(recs[i], 2)
    end
  end
  return table.concat(out)
end

local function announce(sw)
  math.randomseed(tonumber(ARGV[5]))
  local ev, left, list, key, data = tonumber(ARGV[6]), ARGV[7], ARGV[8], ARGV[9], ARGV[10]
  local client, want, families, exp = tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14])
  local z = sw.z[list]
  local due = trim(sw)
  local rec = load(sw, key)
  if ev == EVENT_STOPPED then
    if rec and (list ~= 'w' or string.sub(rec, 2) == data) then
      account(sw, list, string.byte(rec, 1), -1)
      redis.call('HDEL', sw.h, key)
      redis.call('ZREM', z, key)
      if sw.n <= 0 then
        drop(sw)
        return {0, 0, 0, '', '', 0}
      end
    end
    local c = counts(sw)
    return {c[1], c[2], c[3], '', '', 0}
  end

  local seeder, counted, rebound = false, false, ''
  -- now: this announce counted the download (the caller's tally hears
  -- of each one exactly once).
  local countedNow = 0
  local f = 0
  if rec then
    f = string.byte(rec, 1)
    seeder, counted = f % 2 == 1, math.floor(f / 2) % 2 == 1
    local old = string.sub(rec, 2)
    if list == 'w' and old ~= data then
      rebound = old
    end
  end
  local nowSeeder = seeder
  if left == '0' then
    nowSeeder = true
  elseif left == '1' then
    nowSeeder = false
  elseif ev == EVENT_COMPLETED then
    nowSeeder = true
  end
  if ev == EVENT_COMPLETED and nowSeeder and not counted then
    counted = true
    countedNow = 1
    sw.d = sw.d + 1
    bump(sw.h, 'd', 1)
  end
  local nf = (nowSeeder and 1 or 0) + (counted and 2 or 0) + client * 4
  if not rec then
    account(sw, list, nf, 1)
  elseif f ~= nf then
    -- Take the old entry out of the counters and put the new one in: its
    -- status or (native) client family changed.
    account(sw, list, f, -1)
    account(sw, list, nf, 1)
  end
  local nrec = string.char(nf) .. data
  if nrec ~= rec then
    redis.call('HSET', sw.h, key, nrec)
  end
  redis.call('ZADD', z, exp, key)
  if not due or exp < due then
    redis.call('ZADD', rkey, 'LT', exp, sw.ih)
  end
  extend(sw, exp, not rec and z)
  local c = counts(sw)
  return {c[1], c[2], c[3], rebound, pick(sw, list, key, want, families, liveSet(ARGV[15])), countedNow}
end

local function leave(sw)
  local list, key, owner = ARGV[8], ARGV[9], ARGV[10]
  trim(sw)
  local rec = load(sw, key)
  if not rec or (list == 'w' and string.sub(rec, 2) ~= owner) then
    return 0
  end
  account(sw, list, string.byte(rec, 1), -1)
  redis.call('HDEL', sw.h, key)
  redis.call('ZREM', sw.z[list], key)
  if sw.n <= 0 then
    drop(sw)
  end
  return 1
end

local result
if op == 't' then
  sweep()
  return {redis.call('ZCARD', rkey), redis.call('HGETALL', tkey)}
end
local sw = {ih = string.sub(KEYS[1], #base + 2), h = KEYS[1], z = {w = KEYS[2], ['4'] = KEYS[3], ['6'] = KEYS[4]}}
if op == 'a' then
  result = announce(sw)
elseif op == 'l' then
  result = leave(sw)
elseif op == 's' then
  trim(sw)
  load(sw)
  result = counts(sw)
else
  return redis.error_reply('unknown op ' .. tostring(op))
end
flush()
sweep()
return result
