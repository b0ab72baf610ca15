package signaling

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// conn is one WebSocket connection. Its parts:
//
//   - the read side (reader.go) parses frames and handles messages. It runs
//     on one goroutine at a time, with rmu held: a poller goroutine when the
//     connection is readable (poller_linux.go), or the connection's own
//     reader goroutine (the fallback). Fields under "read side" belong to it.
//   - the write side (writer.go) sends queued frames. Senders write
//     without blocking when they can, and a writer goroutine exists only
//     while frames wait for a slow socket.
//   - one timer (keepalive.go) sends pings and closes silent, idle and
//     unresponsive connections.
//
// The read side ends the connection (finish); the socket is closed by
// whichever of it and a running writer comes last (finalize).
type conn struct {
	h      *Handler
	id     ConnID
	nc     net.Conn        // *net.TCPConn, or *tls.Conn when the tracker terminates TLS
	raw    syscall.RawConn // plain TCP: for reads and writes that must not block
	inline bool            // senders may write to the socket without blocking (rawio_linux.go)
	poll   *poller         // the poller that serves the read side; nil for a reader goroutine
	fd     int             // nc's descriptor, for poll
	addr   netip.Addr
	path   string // the URL path of the upgrade, for Config.Authorize
	opened time.Time
	ctx    context.Context // ends when the connection ends
	cancel context.CancelFunc

	// read side
	rmu          sync.Mutex
	fr           frameReader
	peerEnd      readEnd  // set when the client's close frame stops fr
	polled       bool     // registered with poll
	scr          *scratch // while a message is handled (dispatch.go)
	regs         []registration
	invalid      int
	invalidSince time.Time
	bucket       int64 // announce bucket: ns (Now) when it is full again
	limited      int   // messages refused by AnnouncesPerConn since limitedSince
	limitedSince time.Time

	// Activity, in ns since start (a monotonic clock): lastSeen is when
	// bytes last came (PingInterval + PongTimeout), lastMsg when a message
	// did (IdleTimeout). closing is set once a close handshake began:
	// messages that still arrive are not handled.
	start    time.Time
	lastSeen atomic.Int64
	lastMsg  atomic.Int64
	closing  atomic.Bool

	mu           sync.Mutex
	queue        []outFrame // frames waiting for the writer
	spare        []outFrame // the writer's drained batch, kept for reuse
	queuedFrames int        // in queue, not counting the tracker's pings
	queuedBytes  int
	writing      bool        // a sender or a writer goroutine is writing
	writeFailed  bool        // the socket cannot be written any more
	closeFrame   outFrame    // a close frame to send after what is being written
	reason       CloseReason // first reason the connection is ending, if any
	done         bool        // the read side is finishing: no new frames or writers
	readDone     bool        // the read side has finished; see finalize
	torrents     int         // registrations at finish, for the log
	pending      pendingOffers
	timer        *time.Timer // keepalive.go
	nextPing     int64       // ns since start
	closeBy      int64       // ns since start: when a close handshake gives up
}

// registration is one (info hash, peer id) this connection announced.
type registration struct {
	ih   bittorrent.InfoHash
	peer bittorrent.PeerID
}

func newConn(h *Handler, nc net.Conn, addr netip.Addr, path string) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	return &conn{
		h:      h,
		id:     ConnID(h.nextID.Add(1)),
		nc:     nc,
		addr:   addr,
		path:   path,
		opened: h.cfg.Now(),
		start:  time.Now(),
		ctx:    ctx,
		cancel: cancel,
	}
}

// since is the connection's clock: ns since it opened, monotonic.
func (c *conn) since() int64 { return int64(time.Since(c.start)) }

// finish ends the connection once the read side has stopped, for end's
// reason unless the tracker had already chosen one. It runs on the read
// side, once: the swarm entries go first, so no peer picks this connection
// as a target any longer; then the socket, unless a writer is still
// sending the close frame, in which case the writer closes it.
func (c *conn) finish(end readEnd) {
	if end.sendClose {
		// The read side ends on the client's close frame or on its
		// protocol error. What is queued answers what the client sent
		// before (replies, and pongs, which RFC 6455 §5.5.2 requires for a
		// ping that came before the close), so it goes out first, as the
		// closing handshake is meant to deliver all data (§1.4); the write
		// deadline below bounds how long that may take.
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

	// The connection context is still live here so a remote store can be
	// reached; bound how long cleanup may take.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	for _, r := range c.regs {
		if err := c.h.cfg.Swarms.Leave(ctx, r.ih, r.peer, c.id); err != nil {
			c.h.log.Warn().Err(err).Str("info_hash", r.ih.String()).Msg("removing a closed connection's peer failed")
		}
	}
	cancel()
	torrents := len(c.regs)
	c.regs = nil
	c.h.remove(c)
	c.cancel()
	if c.polled {
		c.poll.remove(c)
		c.polled = false
	}
	c.fr.release()

	c.mu.Lock()
	c.readDone = true
	c.torrents = torrents
	writing := c.writing
	c.mu.Unlock()
	if writing {
		// Give the writer a bounded time to get the close frame out.
		_ = c.nc.SetWriteDeadline(time.Now().Add(closeWait))
		return
	}
	c.finalize()
}

// finalize closes the socket and reports the connection closed. It runs
// exactly once, after finish, on the read side or on the writer that
// finished last.
func (c *conn) finalize() {
	_ = c.nc.Close()
	c.mu.Lock()
	for _, f := range c.queue {
		putBuf(f.buf)
	}
	c.queue, c.spare = nil, nil
	if c.closeFrame.buf != nil {
		putBuf(c.closeFrame.buf)
		c.closeFrame = outFrame{}
	}
	reason, torrents := c.reason, c.torrents
	c.mu.Unlock()

	c.h.release(addrKey(c.addr))
	c.h.obs.ConnClosed(reason)
	ev := c.h.log.Debug()
	switch reason {
	case CloseSlowConsumer, CloseAbuse, CloseWriteError:
		ev = c.h.log.Info()
	}
	ev.Uint64("conn", uint64(c.id)).
		Str("addr", c.addr.String()).
		Str("reason", reason.String()).
		Int("torrents", torrents).
		Dur("age", c.h.cfg.Now().Sub(c.opened)).
		Msg("websocket closed")
	c.h.open.Add(-1)
	c.h.serving.Done()
}

// bufPool recycles read buffers and outgoing frames.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 2048)
	return &b
}}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	// Do not keep rare huge buffers alive in the pool.
	if cap(*b) > 128<<10 {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}
