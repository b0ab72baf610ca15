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
// which answer goes back where, limits and the access policy. Beneath it,
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
// once the Observer has counted it.
//
// Where a message is handled depends on Swarms. A store that answers at
// memory speed is called on the poller that read the message, as the
// cheapest path there is. A store that may wait on the network says so
// (the optional Blocking interface): then the poller copies the message
// into the connection's bounded inbox and returns to its other
// connections, and a bounded pool of worker goroutines (Config.Workers)
// runs the inboxes, each connection's messages in order and one at a time,
// many connections at once, so their store calls share round trips. A
// client that queues more than Config.InboxLen messages or
// Config.InboxBytes bytes is closed with 1008 (CloseInboxFull). When a
// connection ends, its store call in flight is cancelled, messages still
// queued are dropped, and a worker removes its peers from the swarms
// before the close is counted (Observer.ConnClosed); the engine's read
// side never waits for the store. Pings, closes and the offers and answers
// other connections send it go straight to a connection's send queue, so
// a store that hangs delays only the messages that need it.
//
// # Several nodes
//
// Trackers that share Swarms (a store in Redis) can relay between each
// other's connections: each Handler gets its own Config.NodeID, which
// every ConnID carries, and a Config.Router that carries offers and
// answers for connections of other nodes to them, where the Router calls
// Handler.Deliver. See Relay.
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
// through one interface, Config.Policy (bittorrent.Policy, which the HTTP
// and UDP transports share), so the package depends on no particular
// implementation of it.
package signaling
