package engine

import (
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/swarmbridge/swarmbridge/signaling/wsproto"
)

// Session is the relay's side of one connection. The engine calls it; see
// the package doc for on which goroutine.
type Session interface {
	// Message handles one complete data message, text or binary. It runs
	// on the connection's read side, one message at a time, in order.
	// payload is only valid during the call, and may be modified.
	Message(payload []byte)
	// Finish runs once on the read side when the connection ends, after
	// it stopped taking frames and before it leaves the registry and its
	// socket is closed: the relay forgets the connection's peers here, so
	// that no one picks it as a target any longer.
	Finish()
	// Closed runs once, after Finish, when the socket is closed, with the
	// first reason the connection ended for.
	Closed(reason CloseReason)
}

// Conn is one WebSocket connection. Its parts:
//
//   - the read side (reader.go) parses frames and hands messages to the
//     Session. It runs on one goroutine at a time, with rmu held: a poller
//     goroutine when the connection is readable (poller_linux.go), or the
//     connection's own reader goroutine (the fallback). Fields under "read
//     side" belong to it.
//   - the write side (writer.go) sends queued frames. Senders write
//     without blocking when they can, and a writer goroutine exists only
//     while frames wait for a slow socket.
//   - one timer (keepalive.go) sends pings and closes silent, idle and
//     unresponsive connections.
//
// The read side ends the connection (finish); the socket is closed by
// whichever of it and a running writer comes last (finalize).
//
// Every idle connection holds one, so the fields are ordered to leave no
// padding: it fits the allocator's 320-byte size class.
type Conn struct {
	e       *Engine
	session Session
	nc      net.Conn        // *net.TCPConn, or *tls.Conn when the tracker terminates TLS
	raw     syscall.RawConn // the TCP socket, when polled: for epoll, and reads and writes that must not block
	sock    *tlsSocket      // polled TLS: the socket under nc, whose reads and writes never block (tlssock.go)
	poll    *poller         // the poller that serves the read side; nil for a reader goroutine
	id      uint64
	fd      int32 // the socket's descriptor, for poll
	inline  bool  // plain TCP: senders may write to the socket without blocking (rawio_linux.go)

	// read side
	polled  bool // registered with poll
	ended   bool // finish has run: epoll may still report the socket
	rmu     sync.Mutex
	fr      wsproto.FrameReader
	peerEnd readEnd // set when what the client sent stops fr: its close frame, or a text message that is not UTF-8

	// Activity, in ns since the connection opened (start, on the engine's
	// monotonic clock): lastSeen is when bytes last came (PingInterval +
	// PongTimeout), lastMsg when a message did (IdleTimeout). closing is
	// set once a close handshake began: messages that still arrive are not
	// handled.
	start    int64
	lastSeen atomic.Int64
	lastMsg  atomic.Int64
	closing  atomic.Bool

	mu           sync.Mutex
	writing      bool        // a sender or a writer goroutine is writing
	writeFailed  bool        // the socket cannot be written any more
	done         bool        // the read side is finishing: no new frames or writers
	readDone     bool        // the read side has finished; see finalize
	reason       CloseReason // first reason the connection is ending, if any
	queuedFrames int32       // in queue, not counting the tracker's pings
	queuedBytes  int32       // bounded by SendQueueBytes (at most 64 MiB)
	queue        []outFrame  // frames waiting for the writer
	spare        []outFrame  // the writer's drained batch, kept for reuse
	closeFrame   outFrame    // a close frame to send after what is being written
	timer        *time.Timer // keepalive.go
	nextPing     int64       // ns since start
	closeBy      int64       // ns since start: when a close handshake gives up
}

// ID is the connection's id: never zero, never reused by its Engine.
func (c *Conn) ID() uint64 { return c.id }

// Session returns the Session the connection was registered with.
func (c *Conn) Session() Session { return c.session }

// since is the connection's clock: ns since it opened, monotonic.
func (c *Conn) since() int64 { return c.e.now() - c.start }

// finish ends the connection once the read side has stopped, for end's
// reason unless the tracker had already chosen one. It runs on the read
// side, once: the Session forgets the connection first, so no peer picks
// it as a target any longer; then the socket, unless a writer is still
// sending the close frame, in which case the writer closes it.
func (c *Conn) finish(end readEnd) {
	c.ended = true
	if end.sendClose {
		// The read side ends on the client's close frame or on its
		// protocol error. What is queued answers what the client sent
		// before (replies, and pongs, which RFC 6455 §5.5.2 requires for a
		// ping that came before the close), so it goes out first, as the
		// closing handshake is meant to deliver all data (§1.4); the write
		// deadline bounds how long that may take.
		c.startClose(end.reason, end.code, end.text, true)
	}
	c.mu.Lock()
	c.done = true
	if c.reason == closeReasonNone {
		c.reason = end.reason
	}
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()

	c.session.Finish()
	c.e.remove(c)
	if c.polled {
		c.poll.remove(c)
		c.polled = false
	}
	c.fr.Release()

	c.mu.Lock()
	c.readDone = true
	writing := c.writing
	c.mu.Unlock()
	if writing {
		// Give the writer a bounded time to get the close frame out.
		_ = c.nc.SetWriteDeadline(time.Now().Add(CloseWait))
		return
	}
	c.finalize()
}

// finalize closes the socket and reports the connection closed. It runs
// exactly once, after finish, on the read side or on the writer that
// finished last.
func (c *Conn) finalize() {
	_ = c.nc.Close()
	c.mu.Lock()
	for _, f := range c.queue {
		FreeFrame(f.buf)
	}
	c.queue, c.spare = nil, nil
	if c.closeFrame.buf != nil {
		FreeFrame(c.closeFrame.buf)
		c.closeFrame = outFrame{}
	}
	reason := c.reason
	c.mu.Unlock()

	c.session.Closed(reason)
	c.e.open.Add(-1)
	c.e.serving.Done()
}
