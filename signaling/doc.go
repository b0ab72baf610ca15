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
// The package is the relay: what a message means, who an offer goes to,
// which answer goes back where, limits and access hooks. Beneath it,
// package signaling/wire encodes and decodes the messages, package
// signaling/wsproto holds the RFC 6455 primitives, and an internal engine
// serves the WebSocket connections themselves.
//
// # Concurrency
//
// The Handler speaks RFC 6455 itself (no subprotocol, no extensions) and
// takes each connection over from net/http once upgraded, so ServeHTTP
// returns at once. An idle connection costs no goroutine and no buffer: on
// Linux, plain TCP connections, and TLS connections from NewTLSListener,
// are read by a few poller goroutines of the Handler (one per GOMAXPROCS),
// each with its own epoll instance; a connection belongs to one poller,
// which reads it when it is readable and handles its messages one at a
// time, in order. Other TLS connections, and every connection where there
// is no epoll, get a reader goroutine each instead; both ways share one
// frame parser and one message path.
//
// Frames for a connection (responses, relayed offers and answers) go to a
// bounded queue. Enqueueing never blocks: a sender writes the frame itself
// when the socket takes it without waiting, else a writer goroutine, which
// exists only while frames wait, writes the queue with one system call.
// When the queue is full the connection is closed as a slow consumer, so
// one stalled peer cannot stall the peers that send to it. One timer per
// connection sends pings and closes silent or idle connections. Shutdown
// waits for every connection and stops the Handler's goroutines.
//
// Frames are never sent while a store lock is held: Swarms returns its
// picks, then the relay enqueues. The frames one message causes are written
// once the Observer has counted it. Messages are handled on the poller that
// read them, so Swarms must not block for long: a slow store delays the
// other connections of that poller.
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
