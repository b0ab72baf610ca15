// Package cluster lets several tracker nodes serve one set of swarms: the
// swarms themselves are in Redis (package redis, the swarm store), and
// this package adds what the signaling relay needs on top, in the same
// Redis, without any state of its own to replicate.
//
// # Node ids and the registry
//
// Each node has an id from 1 to 65535, claimed when it joins: a random id
// no live node holds. Every ConnID the node's relay allocates carries it
// in its top 16 bits (signaling.ConnID), and so does the swarm store's
// Owner of every WebRTC peer, so any node can tell which node holds a
// peer's connection. The registry is one Redis hash, KeyPrefix +
// "{cluster}nodes": node id -> "expiry token conns", where expiry is a
// time in Redis's own clock (TIME), token the node's random identity, and
// conns its open WebSocket connections. One script does a node's whole
// heartbeat, every Heartbeat (1 s): it renews the node's entry to now +
// TTL (3 s), deletes expired entries, and reads every live node back, so
// each node's view of the cluster is at most one heartbeat old, and /stats
// can sum the WebSocket connections of the whole cluster. A node that
// shuts down deletes its entry; one that dies stops renewing it.
//
// # Peers of dead nodes
//
// The swarm store's announce script takes the live node ids as an
// argument and picks only WebRTC peers bound to live nodes (see
// redis.Store.SkipDeadNodes): still one script call per announce. A node
// that dies stops being live for the others at most TTL + Heartbeat (4 s
// with the defaults) after its last heartbeat, and its peers are offered
// to nobody from then on, long before their announce TTL (minutes). They
// stay in the swarms' counts until they expire, or until their clients,
// reconnecting to another node, announce again (the entry moves to the
// new connection: last announcer wins). Entries are never deleted for
// belonging to a node that looks dead: a node's view may lag, and a node
// that only just joined would lose its peers.
//
// # Relaying between nodes
//
// An offer or answer for a connection of another node goes to that node's
// inbox, one pub/sub channel per node, KeyPrefix + "inbox:{id}": PUBLISH
// and SUBSCRIBE, or on Redis Cluster the sharded SPUBLISH and SSUBSCRIBE
// (the hash tag spreads the inboxes over the shards). Nothing is
// broadcast, and there is no channel per swarm or per socket. Route, which
// the relay calls on its hot path, only appends the relay to a batch for
// its node; one publisher goroutine sends every waiting batch in one round
// trip, so under load one publish carries many relays. A relay is refused
// at once when its node is not live (target_gone) or too much already
// waits for it (unavailable); a publish that fails counts its relays as
// unavailable, and one that no node received (its node just died) as
// target_gone. The receiving node hands each relay to its relay's Deliver,
// which queues it as a local one: answer routing keeps its guarantee,
// since the connection that received an offer remembers it, with the
// offering ConnID, on its own node.
//
// # Faults
//
// Every call to Redis is bounded by Timeout. A heartbeat that fails is
// logged when failures start and when they stop, and Ready reports it once
// the registration could have expired; the inbox subscription is made
// again whenever it breaks (a restarted or failed-over Redis), and Ready
// reports the gap. Nothing needs a restart: the node registers again with
// its own id when Redis has forgotten it.
package cluster
