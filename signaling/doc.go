// Package signaling is a WebTorrent signaling tracker: it speaks the JSON
// protocol that WebTorrent clients use over WebSocket (ws:// and wss://) to
// announce torrents and to exchange WebRTC offers and answers through the
// tracker.
//
// The package is a library. It never listens: New returns a Handler, an
// http.Handler that upgrades requests to WebSockets, and the caller mounts
// it on its own server. Swarm membership lives behind the Swarms interface,
// so the same relay runs on an in-memory store or a shared one.
//
// # Concurrency
//
// Each connection is served by the goroutine that net/http runs the handler
// on; it reads and processes one message at a time. Frames for a connection
// (responses, relayed offers and answers) go to a bounded queue. Enqueueing
// never blocks: when the queue is full the connection is closed as a slow
// consumer, so one stalled peer cannot stall the peers that send to it. A
// writer goroutine exists only while the queue holds frames, and a ping
// goroutine only while a ping is in flight, so an idle connection costs one
// goroutine. Every goroutine a connection starts is waited for before its
// handler returns; Shutdown waits for every connection.
//
// Frames are never sent while a store lock is held: Swarms returns its
// picks, then the relay enqueues.
//
// # Limits and access control
//
// Config bounds what one client can cost: open connections in total and
// per address (upgrades over them are refused with 503 and 429), announces
// and scrapes per connection (a token bucket; failures carry action and
// info_hash, and a connection that keeps going far over is closed with
// 1008), and idle connections (closed with 1001). Policy that needs state
// shared with other transports, such as an Origin allow-list, private
// tracker keys, info hash lists or per-address rate limits, comes in
// through function hooks (Upgrade, Authorize, AllowRequest), so the
// package depends on no particular implementation of them.
package signaling
