// Package engine is the WebSocket server under the signaling relay: the
// opening handshake, then, for each connection, reading frames, a bounded
// write queue and its writer, pings and timeouts, and the close handshake.
// It knows nothing of what messages mean; the relay (package signaling)
// plugs in through a Session per connection.
//
// # The seam
//
// The relay upgrades a request (CheckHandshake, Upgrade), makes a Conn
// (Engine.NewConn), builds its Session for it and hands both to
// Engine.Register, then starts the read side (Conn.Start). From then on
// the engine calls the Session: Message for every data message, Finish
// once when the connection ends, Closed once, last. The relay answers by
// encoding frames into buffers from NewFrame and queueing them on any open
// connection (Conn.Enqueue, then Conn.Flush), and may end a connection
// (Conn.Close). It finds other connections by id (Engine.Lookup).
//
// # Concurrency
//
// An idle connection costs no goroutine and no buffer. On Linux, plain TCP
// connections, and TLS connections from NewTLSListener, are read by a few
// poller goroutines that the Engine owns (one per GOMAXPROCS, each with its
// own epoll instance, started with the first connection and stopped by
// Shutdown); a connection belongs to one poller for its whole life. For
// TLS the poller reads through crypto/tls over a socket that never blocks
// (tlssock.go); the TLS handshake is over before the engine sees the
// connection, done in net/http's goroutine. Other TLS connections, and
// every connection where there is no epoll, get a reader goroutine each,
// owned by the connection and gone when it ends. Either way the read side
// of one connection runs on one goroutine at a time, in order, holding the
// connection's read lock:
//
//   - Session.Message and Session.Finish run on the read side. They may
//     block only briefly: a poller serves many connections, and while one
//     message is handled the others of its poller wait.
//   - Session.Closed runs exactly once, after Finish, on the read side or
//     on the writer goroutine that finished last.
//   - Conn.Enqueue, Conn.Flush and Conn.Close may be called from any
//     goroutine at any time, also after the connection ended (they then do
//     nothing), and never block on the network: Enqueue only queues, Flush
//     writes a lone frame only if the socket takes it at once (on polled
//     TLS, what is queued, encrypted; the socket keeps what it does not
//     take), and Close queues a close frame. A frame the socket does not
//     take at once goes to a writer goroutine that exists only while frames
//     wait, writes everything queued with one system call and exits.
//   - One timer per connection (a runtime timer, no goroutine while idle)
//     sends pings and closes connections that are silent, idle or do not
//     finish a close handshake.
//   - A full send queue closes the connection as a slow consumer: a peer
//     that does not read cannot stall the peers that send to it.
//
// Nothing here takes a lock that the relay or its store holds, so the
// relay must not hold one either while it enqueues: it takes what it needs
// from its store, lets go, then enqueues. Shutdown closes every connection
// with 1001, waits for them (upgrades in progress included), and stops the
// pollers.
package engine
