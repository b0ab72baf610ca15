package signaling

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// conn is one WebSocket connection. The fields under "read side" are only
// touched by the goroutine running serve; the rest are guarded by mu.
type conn struct {
	h      *Handler
	id     ConnID
	ws     *websocket.Conn
	addr   netip.Addr
	path   string // the URL path of the upgrade, for Config.Authorize
	opened time.Time
	ctx    context.Context // ends when the connection ends
	cancel context.CancelFunc

	// read side
	req          Request
	regs         []registration
	targets      []Target
	counts       []Counts
	invalid      int
	invalidSince time.Time
	bucket       int64 // announce bucket: ns (Now) when it is full again
	limited      int   // messages refused by AnnouncesPerConn since limitedSince
	limitedSince time.Time

	// lastMsg is when the last message arrived, in ns since start (a
	// monotonic clock), for IdleTimeout.
	start   time.Time
	lastMsg atomic.Int64

	mu          sync.Mutex
	queue       []*[]byte // frames waiting for the writer
	spare       []*[]byte // the writer's drained batch, kept for reuse
	queuedBytes int
	writing     bool        // a writer goroutine is running
	reason      CloseReason // first reason the tracker chose to close, if any
	done        bool        // serve is finishing: no new goroutines or frames
	pending     pendingOffers
	pingTimer   *time.Timer
	idleTimer   *time.Timer
	wg          sync.WaitGroup // writer, ping and close goroutines
}

// registration is one (info hash, peer id) this connection announced.
type registration struct {
	ih   InfoHash
	peer PeerID
}

func newConn(h *Handler, ws *websocket.Conn, addr netip.Addr, path string) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	return &conn{
		h:      h,
		id:     ConnID(h.nextID.Add(1)),
		ws:     ws,
		addr:   addr,
		path:   path,
		opened: h.cfg.Now(),
		start:  time.Now(),
		ctx:    ctx,
		cancel: cancel,
	}
}

// serve reads and handles messages until the connection ends, then removes
// everything the connection registered and waits for its goroutines.
func (c *conn) serve() {
	c.armPing()
	c.armIdle()
	reason := c.readLoop()
	c.finish(reason)
}

func (c *conn) readLoop() CloseReason {
	for {
		typ, r, err := c.ws.Reader(c.ctx)
		if err != nil {
			return c.classify(err)
		}
		if typ != websocket.MessageText && typ != websocket.MessageBinary {
			continue
		}
		if c.idleTimer != nil {
			c.lastMsg.Store(int64(time.Since(c.start)))
		}
		buf := getBuf()
		*buf, err = readAll(r, (*buf)[:0])
		if err != nil {
			putBuf(buf)
			return c.classify(err)
		}
		c.handle(*buf)
		putBuf(buf)
	}
}

// readAll reads r to EOF into b, growing it as needed. The websocket
// library enforces the message size limit.
func readAll(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// classify turns the error that ended the read loop into a close reason.
func (c *conn) classify(err error) CloseReason {
	c.mu.Lock()
	r := c.reason
	c.mu.Unlock()
	switch {
	case r != closeReasonNone:
		return r
	case errors.Is(err, websocket.ErrMessageTooBig):
		return CloseMessageTooBig
	case websocket.CloseStatus(err) != -1, errors.Is(err, io.EOF):
		return CloseClient
	}
	return CloseReadError
}

// finish tears the connection down: the swarm entries first, so no peer
// picks this connection as a target any longer, then the socket, then the
// goroutines.
func (c *conn) finish(reason CloseReason) {
	c.mu.Lock()
	c.done = true
	if c.reason == closeReasonNone {
		c.reason = reason
	}
	reason = c.reason
	if c.pingTimer != nil {
		c.pingTimer.Stop()
	}
	if c.idleTimer != nil {
		c.idleTimer.Stop()
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
	c.h.remove(c)
	c.cancel()
	_ = c.ws.CloseNow()
	c.wg.Wait()

	c.mu.Lock()
	for _, f := range c.queue {
		putBuf(f)
	}
	c.queue, c.spare = nil, nil
	c.mu.Unlock()

	c.h.obs.ConnClosed(reason)
	ev := c.h.log.Debug()
	switch reason {
	case CloseSlowConsumer, CloseAbuse, CloseWriteError:
		ev = c.h.log.Info()
	}
	ev.Uint64("conn", uint64(c.id)).
		Str("addr", c.addr.String()).
		Str("reason", reason.String()).
		Int("torrents", len(c.regs)).
		Dur("age", c.h.cfg.Now().Sub(c.opened)).
		Msg("websocket closed")
}

// closeWith starts closing the connection with the close code for reason.
// It never blocks, so it is safe to call from any sender.
func (c *conn) closeWith(reason CloseReason) {
	c.mu.Lock()
	if c.reason != closeReasonNone || c.done {
		c.mu.Unlock()
		return
	}
	c.reason = reason
	c.wg.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.wg.Done()
		code, text := reason.status()
		_ = c.ws.Close(code, text)
	}()
}

// send queues a frame for this connection and takes ownership of it. With
// p, the frame is an offer and p is remembered so that the answer can be
// routed back. It reports whether the frame was queued.
func (c *conn) send(frame *[]byte, p *pendingOffer) bool {
	c.mu.Lock()
	if c.reason != closeReasonNone || c.done {
		c.mu.Unlock()
		putBuf(frame)
		return false
	}
	if len(c.queue) >= c.h.cfg.SendQueueLen || c.queuedBytes+len(*frame) > c.h.cfg.SendQueueBytes {
		c.mu.Unlock()
		putBuf(frame)
		c.closeWith(CloseSlowConsumer)
		return false
	}
	if p != nil {
		c.pending.add(*p, c.h.cfg.MaxPendingOffers)
	}
	c.queue = append(c.queue, frame)
	c.queuedBytes += len(*frame)
	if !c.writing {
		c.writing = true
		c.wg.Add(1)
		go c.writeLoop()
	}
	c.mu.Unlock()
	return true
}

// writeLoop writes queued frames until the queue is empty, then exits; send
// starts a new one when frames arrive again.
func (c *conn) writeLoop() {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		if len(c.queue) == 0 || c.done || c.reason != closeReasonNone {
			c.writing = false
			c.mu.Unlock()
			return
		}
		batch := c.queue
		c.queue, c.spare = c.spare[:0], nil
		c.queuedBytes = 0
		c.mu.Unlock()

		var err error
		for i, f := range batch {
			if err == nil {
				err = c.ws.Write(c.ctx, websocket.MessageText, *f)
			}
			putBuf(f)
			batch[i] = nil
		}
		c.mu.Lock()
		c.spare = batch[:0]
		c.mu.Unlock()
		if err != nil {
			c.closeWith(CloseWriteError)
		}
	}
}

// armPing schedules the next ping. Pings keep proxies from closing idle
// connections and find peers that vanished without closing.
func (c *conn) armPing() {
	d := c.h.cfg.PingInterval
	if d <= 0 {
		return
	}
	// Spread the first ping so connections opened together do not ping
	// together forever.
	first := d/2 + rand.N(d/2+1)
	c.mu.Lock()
	c.pingTimer = time.AfterFunc(first, c.ping)
	c.mu.Unlock()
}

func (c *conn) ping() {
	c.mu.Lock()
	if c.done || c.reason != closeReasonNone {
		c.mu.Unlock()
		return
	}
	c.wg.Add(1)
	c.mu.Unlock()
	defer c.wg.Done()

	ctx, cancel := context.WithTimeout(c.ctx, c.h.cfg.PongTimeout)
	err := c.ws.Ping(ctx)
	cancel()
	if err != nil {
		if c.ctx.Err() == nil {
			c.closeWith(ClosePingTimeout)
		}
		return
	}
	c.mu.Lock()
	if !c.done {
		c.pingTimer.Reset(c.h.cfg.PingInterval)
	}
	c.mu.Unlock()
}

// armIdle starts watching for IdleTimeout. The read loop only records when
// each message came; the timer checks, so busy connections cost no timer
// resets.
func (c *conn) armIdle() {
	d := c.h.cfg.IdleTimeout
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.idleTimer = time.AfterFunc(d, c.checkIdle)
	c.mu.Unlock()
}

func (c *conn) checkIdle() {
	d := c.h.cfg.IdleTimeout
	quiet := time.Since(c.start) - time.Duration(c.lastMsg.Load())
	c.mu.Lock()
	if c.done || c.reason != closeReasonNone {
		c.mu.Unlock()
		return
	}
	if quiet < d {
		c.idleTimer.Reset(d - quiet)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.closeWith(CloseIdle)
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
