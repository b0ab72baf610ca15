// Package redis is a swarm.Store kept in Redis, standalone or Cluster, so
// that several tracker nodes share their swarms. It talks to Redis with
// rueidis, whose automatic pipelining lets concurrent announces share
// round trips.
//
// # Connecting
//
// Options.URL takes one of (see ParseURL):
//
//	redis://[[user]:password@]host[:port][/db]
//	rediss://…                                  TLS
//	redis+cluster://[[user]:password@]host:port,host:port,…
//	rediss+cluster://…                          TLS
//
// A cluster URL lists seed nodes; the rest of the cluster is discovered.
// Redis 6.2 or later is needed (the script uses ZRANDMEMBER and ZADD LT).
// Every call is bounded by the caller's context and by Options.Timeout
// (2 s by default): an unreachable or hung Redis makes calls fail, never
// hang, and the same Store recovers once Redis is back: a call whose
// pooled connection Redis dropped (it restarted or failed over) is sent
// again on a fresh one, which is safe because the script is idempotent in
// effect. Ping checks every node, for a readiness probe.
//
// # One script per call
//
// Each Announce, Leave and per-hash Scrape is one call of one Lua script
// (swarm.lua, run with EVALSHA and sent again with EVAL when a node does
// not know it), so one round trip, and an atomic step: the script trims the
// swarm's expired entries, applies the event, updates the counters, counts
// and picks peers. Counts stay exact under any number of concurrent
// announces from any number of nodes, because nothing changes a swarm
// outside the script.
//
// # Keys
//
// Swarms are spread over Buckets (1024) buckets by the first bits of their
// info hash. Every key starts with KeyPrefix and the bucket as the Redis
// Cluster hash tag, {0} to {3ff}, so a swarm's keys, and its bucket's, are
// in one slot. With B = prefix{bucket} and ih the raw 20-byte info hash:
//
//	B h ih   hash: entry key -> record (1 byte of seeder, counted and
//	         client family; then the owner of a WebRTC entry or the
//	         peer id of a native one); fields s (seeders), d (downloaded)
//	         and x (when the swarm's keys expire)
//	B w ih   sorted set of WebRTC entries (peer id) scored by expiry, ms
//	B 4 ih   sorted set of IPv4 entries (4-byte address, 2-byte port)
//	B 6 ih   sorted set of IPv6 entries (16-byte address, 2-byte port)
//	B r      sorted set: the bucket's swarms (info hash) scored by a time
//	         at or before their earliest expiry, when they are "due"
//	B t      hash: the bucket's totals (seeders, WebRTC and native entries,
//	         entries per client family)
//
// Entries and ids are binary, not hex, to keep Redis memory per peer low
// (about 135 bytes at 10 peers a swarm, all kinds mixed).
//
// # Peers of dead nodes
//
// Several tracker nodes share the store; each WebRTC entry's owner names
// the node that holds its connection in its top 16 bits (swarm.Owner.Node).
// With SkipDeadNodes, an announce passes the ids of the live nodes to the
// script, which picks only WebRTC peers bound to them: it samples, drops
// the entries of other nodes and samples more while too few are left, so
// a node that died stops getting offers at once, in the same one call.
// Entries are not deleted for it (a node's view of which nodes are live
// may lag); they expire, or move when their peers announce elsewhere.
//
// # Expiry without a sweeper
//
// Expiry is in the data: an entry's score is its expiry time, and the
// script removes a swarm's expired entries before anything else whenever
// it touches the swarm, so an expired entry is never counted or handed
// out. Time comes from the calling node's clock (see Store.nowMS for why
// that is safe across nodes). No node sweeps the whole store; instead each
// script call also trims a couple of due swarms of its own bucket (the
// oldest due first), and Totals, which visits every bucket, trims more.
// That keeps the bucket totals honest for swarms nobody announces to any
// more. As a last resort every key carries a TTL of KeyGrace (an hour)
// past its latest entry's expiry, so a Redis that all trackers abandoned
// empties itself; a bucket's keys outlive its swarms'. The one case where
// that TTL, not a script, ends a swarm while its bucket lives on is a
// bucket that no script touched for KeyGrace after the swarm was due (not
// even Totals, which a metrics scrape calls every few seconds): that
// swarm's entries would then stay in the bucket's totals, which can only
// make Totals too high, never a swarm's counts wrong.
//
// # Totals and full scrape
//
// Totals reads the 1024 bucket totals, one script call per bucket in one
// round trip per node: its cost is fixed, whatever the number of swarms
// and peers, and it never scans keys. Like the memory store's, its numbers
// include expired entries that no script has trimmed yet. ScrapeAll walks
// each bucket's registry with ZSCAN pages and scrapes the swarms it lists
// in batches: O(swarms), as any full scrape is, in bounded steps.
package redis
