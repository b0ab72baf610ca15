package trackerclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling/wsproto"
)

// DefaultMessageBuffer is how many Messages a WSClient holds for its
// reader when Options.MessageBuffer is 0.
const DefaultMessageBuffer = 64

// WSClient is a WebTorrent tracker client on one WebSocket (ws:// or
// wss://, docs/protocol.md): it announces with WebRTC offers, receives the
// offers and answers the tracker relays from other peers, sends answers,
// and scrapes.
//
// # One connection
//
// The connection is opened by Connect or by the first request, and a
// WSClient is that one connection: when it ends (the tracker closed it,
// the network failed), every request waiting and every later one fails
// with the error that ended it, a *CloseError when the tracker sent a
// close frame, and Messages is closed. Make a new WSClient to reconnect;
// the tracker has then forgotten every peer announced on the old
// connection, so announce them again.
//
// # Replies
//
// The protocol has no request ids: a reply is matched to its request by
// action and info hash, in the order the requests were sent. An Announce
// waits for the reply naming its info hash, a Scrape for the next scrape
// reply. A request whose context ends after it was sent keeps its place:
// the late reply is discarded, not given to the next request. A tracker
// answers an accepted Answer with nothing and a refused one with a
// failure; that failure, like any failure no request waits for, arrives
// as a MessageFailure. (A refused answer for a torrent whose announce is
// waiting at that moment cannot be told from a refused announce: the
// announce gets it.)
//
// A message that cannot be read (binary messages included: browsers give
// them to WebTorrent as bytes it cannot parse) fails the request it
// answers with ErrMalformed when it can be placed, else the oldest request
// waiting; relayed offers and answers that cannot be read are dropped and
// counted in Stats.
//
// # Messages
//
// Relayed offers and answers, and unclaimed failures, arrive on the
// channel Messages returns, which holds Options.MessageBuffer of them
// (default 64). The reader never waits for the channel: a message that
// finds it full is dropped and counted (Stats().MessagesDropped). An offer
// is only worth something while its offerer waits, and a tracker loses
// offers to peers that do not read too. Drain it, or set a larger buffer,
// when offers matter. It is closed when the connection ends or the client
// is closed.
//
// # Concurrency
//
// All methods are safe for concurrent use. Requests are written in the
// order they take the write lock, one frame at a time; a request blocked
// writing to a tracker that does not read holds up the others until its
// context ends. One goroutine reads, answers pings and hands replies
// over; it ends with the connection, and Close waits for it.
type WSClient struct {
	u    *url.URL
	dial wsproto.DialOptions
	// trace, when set, sees every message (Options.Trace).
	trace func(out bool, msg []byte)

	msgs     chan Message
	msgsOnce sync.Once
	dialSem  chan struct{} // one dial at a time; waitable with a context

	// wmu keeps a request's place among the waiting and its frame on the
	// wire in one order: it is held from one to the other.
	wmu sync.Mutex

	mu      sync.Mutex
	conn    *wsproto.Conn
	done    chan struct{} // closed when the reader of conn has returned
	closed  bool          // Close was called
	ended   error         // why the connection ended; nil while it is open or not yet dialed
	waiting []*wsWaiter   // requests sent and not yet answered, in sending order

	dropped, malformedN, unmatched atomic.Int64
}

type wsWaitKind uint8

const (
	waitAnnounce wsWaitKind = iota + 1
	waitScrape
)

// wsWaiter is one request that waits for a reply.
type wsWaiter struct {
	kind   wsWaitKind
	ih     bittorrent.InfoHash   // announce
	hashes []bittorrent.InfoHash // scrape; empty for a full scrape
	ch     chan wsReply          // buffered: the reader never blocks on it
	// abandoned: the request gave up after it was sent; its reply is
	// discarded when it comes.
	abandoned bool
}

type wsReply struct {
	announce *AnnounceResponse
	scrape   *ScrapeResponse
	err      error
}

// NewWS returns a client for a ws:// or wss:// tracker URL. It does no
// I/O: the connection opens on Connect or the first request.
func NewWS(trackerURL string, opts Options) (*WSClient, error) {
	u, err := url.Parse(trackerURL)
	if err != nil {
		return nil, fmt.Errorf("tracker URL: %w", err)
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return nil, fmt.Errorf("%w: %q is not ws or wss", ErrUnsupportedScheme, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("tracker URL %q has no host", trackerURL)
	}
	u.Fragment, u.RawFragment = "", ""
	n := opts.MessageBuffer
	if n <= 0 {
		n = DefaultMessageBuffer
	}
	c := &WSClient{
		u: u,
		dial: wsproto.DialOptions{
			UserAgent:           opts.UserAgent,
			Header:              opts.Header,
			ReadBufferSize:      wsReadBuffer,
			MaxMessageSize:      opts.MaxResponseSize,
			TLSConfig:           opts.TLSConfig,
			ControlWriteTimeout: controlWriteTimeout,
		},
		trace:   opts.Trace,
		msgs:    make(chan Message, n),
		dialSem: make(chan struct{}, 1),
	}
	if c.dial.UserAgent == "" {
		c.dial.UserAgent = defaultUserAgent
	}
	if c.dial.MaxMessageSize <= 0 {
		c.dial.MaxMessageSize = DefaultMaxResponseSize
	}
	return c, nil
}

// Connect opens the connection if it is not open yet: TCP, TLS for
// wss://, and the WebSocket handshake, all bounded by ctx. A tracker that
// refuses the upgrade gives a *StatusError (Swarmbridge: 403 origin or
// key refused, 429 and 503 over its connection limits). A failed dial
// leaves the client as it was, so a later request dials again.
func (c *WSClient) Connect(ctx context.Context) error {
	_, err := c.connect(ctx)
	return err
}

func (c *WSClient) connect(ctx context.Context) (*wsproto.Conn, error) {
	if conn, err := c.current(); conn != nil || err != nil {
		return conn, err
	}
	select {
	case c.dialSem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.dialSem }()
	if conn, err := c.current(); conn != nil || err != nil {
		return conn, err
	}
	conn, err := dialWS(ctx, c.u, c.dial)
	if err != nil {
		return nil, fmt.Errorf("websocket to %s: %w", c.u.Host, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		_ = conn.Close()
		return nil, ErrClosed
	}
	c.conn, c.done = conn, make(chan struct{})
	go c.read(conn, c.done)
	return conn, nil
}

// current returns the open connection, nil if there is none yet, or the
// error that ended it.
func (c *WSClient) current() (*wsproto.Conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return nil, ErrClosed
	case c.ended != nil:
		return nil, c.ended
	}
	return c.conn, nil
}

// Announce sends req and returns the tracker's reply for its info hash.
// Offers in req are relayed to other peers after the reply; their answers
// arrive on Messages. Over WebSocket the reply has no peer list (peers
// meet through offers) and no "downloaded".
func (c *WSClient) Announce(ctx context.Context, req AnnounceRequest) (*AnnounceResponse, error) {
	w := &wsWaiter{kind: waitAnnounce, ih: req.InfoHash}
	r, err := c.roundTrip(ctx, "announce", w, appendWSAnnounce(req))
	if err != nil {
		return nil, err
	}
	return r.announce, nil
}

// Scrape asks for the counts of the given swarms in one message (trackers
// cap how many: Swarmbridge 100 by default). With no hashes it is a full
// scrape, which most trackers refuse. Hashes the tracker left out are
// absent from Files.
func (c *WSClient) Scrape(ctx context.Context, hashes []bittorrent.InfoHash) (*ScrapeResponse, error) {
	w := &wsWaiter{kind: waitScrape, hashes: hashes}
	r, err := c.roundTrip(ctx, "scrape", w, appendWSScrape(hashes))
	if err != nil {
		return nil, err
	}
	return r.scrape, nil
}

// Answer sends a WebRTC answer to a relayed offer. It returns once the
// message is written: trackers do not acknowledge answers, and a refusal
// arrives later as a MessageFailure.
func (c *WSClient) Answer(ctx context.Context, a Answer) error {
	_, err := c.roundTrip(ctx, "answer", nil, appendWSAnswer(a))
	return err
}

// roundTrip writes one message and, for a request with a waiter, waits
// for its reply. The waiter joins the queue under the write lock, so the
// queue's order is the order on the wire.
func (c *WSClient) roundTrip(ctx context.Context, op string, w *wsWaiter, frame []byte) (wsReply, error) {
	conn, err := c.connect(ctx)
	if err != nil {
		return wsReply{}, err
	}
	if w != nil {
		w.ch = make(chan wsReply, 1)
	}
	c.wmu.Lock()
	c.mu.Lock()
	if err := c.usableLocked(conn); err != nil {
		c.mu.Unlock()
		c.wmu.Unlock()
		return wsReply{}, err
	}
	if w != nil {
		c.waiting = append(c.waiting, w)
	}
	c.mu.Unlock()
	if c.trace != nil {
		c.trace(true, frame[wsproto.MaxClientHeader:])
	}
	sent, err := conn.WriteFrameContext(ctx, wsproto.OpText, frame)
	c.wmu.Unlock()
	switch {
	case errors.Is(err, wsproto.ErrCloseSent):
		// The connection is ending and the reader will say why: to the
		// waiter, or in Err once it has stopped.
		if w == nil {
			<-c.readerDone()
			return wsReply{}, c.Err()
		}
	case err != nil && sent > 0:
		// Half a frame is on the wire: the connection is done.
		err = fmt.Errorf("websocket %s to %s: %w", op, c.u.Host, err)
		c.end(conn, err)
		return wsReply{}, err
	case err != nil:
		// Nothing went out (the context ended first): only this request
		// fails.
		if w != nil {
			c.take(func(x *wsWaiter) bool { return x == w })
		}
		return wsReply{}, fmt.Errorf("websocket %s to %s: %w", op, c.u.Host, err)
	case w == nil:
		return wsReply{}, nil
	}
	select {
	case r := <-w.ch:
		return r, r.err
	case <-ctx.Done():
	}
	c.mu.Lock()
	w.abandoned = true
	c.mu.Unlock()
	select {
	case r := <-w.ch: // it came while we were giving up
		return r, r.err
	default:
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return wsReply{}, fmt.Errorf("websocket %s to %s: %w before the context's deadline (%w)", op, c.u.Host, ErrTimeout, ctx.Err())
	}
	return wsReply{}, fmt.Errorf("websocket %s to %s: %w", op, c.u.Host, ctx.Err())
}

// readerDone is closed when the reader of the (only) connection has
// returned.
func (c *WSClient) readerDone() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

func (c *WSClient) usableLocked(conn *wsproto.Conn) error {
	switch {
	case c.closed:
		return ErrClosed
	case c.ended != nil:
		return c.ended
	case c.conn != conn:
		return ErrClosed
	}
	return nil
}

// read hands every message of conn over until the connection ends. Only
// it sends on Messages, so it closes the channel when it stops.
func (c *WSClient) read(conn *wsproto.Conn, done chan struct{}) {
	defer close(done)
	defer c.closeMessages()
	for {
		b, binary, err := readWS(conn, c.dial.MaxMessageSize)
		if err != nil {
			c.end(conn, c.readErr(err))
			return
		}
		if c.trace != nil {
			c.trace(false, b)
		}
		if binary {
			// A browser hands a binary message to WebTorrent as bytes,
			// which it cannot parse: trackers send text (docs/protocol.md §2.3).
			c.dispatch(wsIncoming{kind: wsUnreadable, err: malformed("a binary message: WebTorrent clients read only text frames")})
			continue
		}
		c.dispatch(parseWSMessage(b))
	}
}

// readErr says how the connection ended.
func (c *WSClient) readErr(err error) error {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce
	}
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return fmt.Errorf("websocket to %s: connection lost: %w", c.u.Host, err)
}

// end records why the connection ended (the first reason wins), fails
// every request waiting with it and closes the socket, which stops the
// reader.
func (c *WSClient) end(conn *wsproto.Conn, err error) {
	c.mu.Lock()
	if c.ended == nil && !c.closed {
		c.ended = err
	}
	if c.closed {
		err = ErrClosed
	}
	waiting := c.waiting
	c.waiting = nil
	c.mu.Unlock()
	for _, w := range waiting {
		w.ch <- wsReply{err: err} // buffered, and each waiter is answered once
	}
	_ = conn.Close()
}

// closeMessages closes Messages once: from the reader when it stops, or
// from Close when no reader ever started (connect starts none after
// Close).
func (c *WSClient) closeMessages() {
	c.msgsOnce.Do(func() { close(c.msgs) })
}

// Messages returns the channel of relayed offers and answers and of
// failures no request claimed. See the type's documentation for its
// buffer and when it drops.
func (c *WSClient) Messages() <-chan Message { return c.msgs }

// Stats returns what the reader dropped so far.
func (c *WSClient) Stats() WSStats {
	return WSStats{MessagesDropped: c.dropped.Load(), Malformed: c.malformedN.Load(), Unmatched: c.unmatched.Load()}
}

// Err returns why the connection ended: a *CloseError when the tracker
// closed it, ErrClosed after Close, nil while it is open or not yet
// opened.
func (c *WSClient) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended == nil && c.closed {
		return ErrClosed
	}
	return c.ended
}

// RemoteAddr is the tracker's address, nil before the connection opened.
func (c *WSClient) RemoteAddr() net.Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil
	}
	return c.conn.NetConn().RemoteAddr()
}

// TLSConnectionState is the TLS state of a wss:// connection; ok is false
// for ws:// and before the connection opened.
func (c *WSClient) TLSConnectionState() (state tls.ConnectionState, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return tls.ConnectionState{}, false
	}
	tc, ok := c.conn.NetConn().(*tls.Conn)
	if !ok {
		return tls.ConnectionState{}, false
	}
	return tc.ConnectionState(), true
}

// closeWait bounds how long Close waits for the tracker to answer its
// close frame.
const closeWait = time.Second

// Close ends the connection with a close frame (1000), waits up to a
// second for the tracker's reply, and returns once the reader goroutine
// has stopped. Requests waiting and later ones fail with ErrClosed, and
// Messages is closed. The tracker removes the peers announced on the
// connection.
func (c *WSClient) Close() error {
	c.mu.Lock()
	first := !c.closed
	c.closed = true
	conn, done := c.conn, c.done
	var waiting []*wsWaiter
	if first {
		waiting, c.waiting = c.waiting, nil
	}
	ended := c.ended != nil
	c.mu.Unlock()
	for _, w := range waiting {
		w.ch <- wsReply{err: ErrClosed}
	}
	if conn == nil {
		c.closeMessages()
		return nil
	}
	if first && !ended {
		// A writer stuck on a tracker that does not read holds the lock:
		// then skip the close frame, closing the socket unblocks it.
		if c.wmu.TryLock() {
			_ = conn.WriteControl(wsproto.OpClose, wsproto.AppendClosePayload(nil, wsproto.CloseNormal, ""))
			c.wmu.Unlock()
			_ = conn.NetConn().SetReadDeadline(time.Now().Add(closeWait))
		} else {
			_ = conn.Close()
		}
	}
	<-done
	return nil
}

var _ Client = (*WSClient)(nil)

// unsolicited hands a message no request waits for to Messages, or drops
// it when the channel is full.
func (c *WSClient) unsolicited(m Message) {
	select {
	case c.msgs <- m:
	default:
		c.dropped.Add(1)
	}
}
