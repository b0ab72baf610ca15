package trackerclient

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// ConnectionIDLifetime is how long a UDP connection id is used after it
// was received (BEP 15: one minute).
const ConnectionIDLifetime = time.Minute

// UDPClient talks to one UDP tracker over one socket. It is safe for
// concurrent use: requests in flight are told apart by transaction id.
// The socket and its reader goroutine are created by the first request
// and released by Close.
type UDPClient struct {
	hostport string
	network  string
	urlData  []byte
	sched    Schedule
	now      func() time.Time // tests move the clock

	// sem serialises connects and dialSem dialing; unlike a mutex, they
	// can be waited for with a context.
	sem, dialSem chan struct{}

	mu         sync.Mutex
	conn       *net.UDPConn
	addrLen    int // 4 or 16: peer entry size for this socket's family
	pending    map[uint32]chan udpReply
	readerDone chan struct{}
	closed     bool
	connID     uint64
	connIDAt   time.Time

	// Packets the reader dropped, for timeout errors: a tracker that
	// answers with the wrong transaction id or garbage looks dead
	// otherwise.
	strayTID  atomic.Int64
	malformed atomic.Int64
}

type udpReply struct {
	b   []byte
	err error
}

// NewUDP returns a client for a udp:// announce URL. The URL's path and
// query go in every announce as BEP 41 URLData. It does no I/O.
func NewUDP(announceURL string, opts Options) (*UDPClient, error) {
	u, err := url.Parse(announceURL)
	if err != nil {
		return nil, fmt.Errorf("tracker URL: %w", err)
	}
	if u.Scheme != "udp" {
		return nil, fmt.Errorf("%w: %q is not udp", ErrUnsupportedScheme, u.Scheme)
	}
	if u.Hostname() == "" || u.Port() == "" {
		return nil, fmt.Errorf("tracker URL %q needs a host and a port", announceURL)
	}
	c := &UDPClient{
		hostport: u.Host,
		network:  opts.Network,
		sched:    opts.Retransmit,
		now:      time.Now,
		sem:      make(chan struct{}, 1),
		dialSem:  make(chan struct{}, 1),
		pending:  make(map[uint32]chan udpReply),
	}
	switch c.network {
	case "":
		c.network = "udp"
	case "udp", "udp4", "udp6":
	default:
		return nil, fmt.Errorf("network %q: want udp, udp4 or udp6", opts.Network)
	}
	if c.sched.First <= 0 || c.sched.Attempts <= 0 {
		c.sched = BEP15Schedule
	}
	if p := u.EscapedPath(); p != "" || u.RawQuery != "" {
		if u.RawQuery != "" {
			p += "?" + u.RawQuery
		}
		c.urlData = []byte(p)
	}
	return c, nil
}

// Connect gets a new connection id from the tracker (BEP 15 connect),
// caches it for ConnectionIDLifetime and returns it. Announce and Scrape
// connect by themselves; call Connect to measure the tracker or to see
// its ids.
func (c *UDPClient) Connect(ctx context.Context) (uint64, error) {
	if err := c.acquire(ctx); err != nil {
		return 0, err
	}
	defer c.release()
	return c.connectLocked(ctx)
}

// connectionID returns the cached id while it is fresh, else connects.
func (c *UDPClient) connectionID(ctx context.Context) (uint64, error) {
	if id, ok := c.cachedID(); ok {
		return id, nil
	}
	if err := c.acquire(ctx); err != nil {
		return 0, err
	}
	defer c.release()
	if id, ok := c.cachedID(); ok { // another request connected meanwhile
		return id, nil
	}
	return c.connectLocked(ctx)
}

func (c *UDPClient) cachedID() (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.connIDAt.IsZero() || c.now().Sub(c.connIDAt) >= ConnectionIDLifetime {
		return 0, false
	}
	return c.connID, true
}

// forgetID drops the cached id, for when requests with it go unanswered
// (the tracker may have restarted and forgotten it).
func (c *UDPClient) forgetID(id uint64) {
	c.mu.Lock()
	if c.connID == id {
		c.connIDAt = time.Time{}
	}
	c.mu.Unlock()
}

func (c *UDPClient) connectLocked(ctx context.Context) (uint64, error) {
	b, err := c.roundTripWith(ctx, "connect", func(tid uint32) ([]byte, error) { return connectPacket(tid), nil })
	if err != nil {
		return 0, err
	}
	id, err := parseConnectReply(b)
	if err != nil {
		return 0, fmt.Errorf("udp connect to %s: %w", c.hostport, err)
	}
	c.mu.Lock()
	c.connID, c.connIDAt = id, c.now()
	c.mu.Unlock()
	return id, nil
}

// Announce sends req, connecting first when the cached connection id is
// missing or stale.
func (c *UDPClient) Announce(ctx context.Context, req AnnounceRequest) (*AnnounceResponse, error) {
	b, err := c.withID(ctx, "announce", func(cid uint64, tid uint32) []byte {
		return announcePacket(cid, tid, req, c.urlData)
	})
	if err != nil {
		return nil, err
	}
	r, err := parseAnnounceUDP(b, c.family())
	if err != nil {
		return nil, fmt.Errorf("udp announce to %s: %w", c.hostport, err)
	}
	return r, nil
}

// Scrape asks for the given swarms, MaxScrapeHashes per packet, one
// packet after the other.
func (c *UDPClient) Scrape(ctx context.Context, hashes []bittorrent.InfoHash) (*ScrapeResponse, error) {
	if len(hashes) == 0 {
		return nil, errors.New("udp scrape: no info hashes (UDP has no full scrape)")
	}
	r := &ScrapeResponse{Files: make(map[bittorrent.InfoHash]bittorrent.Counts, len(hashes))}
	for start := 0; start < len(hashes); start += MaxScrapeHashes {
		chunk := hashes[start:min(start+MaxScrapeHashes, len(hashes))]
		b, err := c.withID(ctx, "scrape", func(cid uint64, tid uint32) []byte { return scrapePacket(cid, tid, chunk) })
		if err != nil {
			return nil, err
		}
		if err := parseScrapeUDP(b, chunk, r.Files); err != nil {
			return nil, fmt.Errorf("udp scrape of %s: %w", c.hostport, err)
		}
	}
	return r, nil
}

// withID runs one request that needs a connection id. The id is fetched
// for every attempt, so a retransmission after the id went stale (or was
// forgotten because an attempt went unanswered) reconnects first.
func (c *UDPClient) withID(ctx context.Context, op string, build func(cid uint64, tid uint32) []byte) ([]byte, error) {
	var lastID uint64
	return c.roundTripWith(ctx, op, func(tid uint32) ([]byte, error) {
		if lastID != 0 {
			c.forgetID(lastID)
		}
		cid, err := c.connectionID(ctx)
		if err != nil {
			return nil, err
		}
		lastID = cid
		return build(cid, tid), nil
	})
}

// roundTripWith sends the packet build makes and retransmits it on the
// schedule until a reply with its transaction id arrives. The transaction
// id stays the same across attempts, so a late reply to an earlier
// attempt is as good as any. build is called before each attempt.
func (c *UDPClient) roundTripWith(ctx context.Context, op string, build func(tid uint32) ([]byte, error)) ([]byte, error) {
	if err := c.dial(ctx); err != nil {
		return nil, err
	}
	tid, ch, err := c.register()
	if err != nil {
		return nil, err
	}
	defer c.unregister(tid)
	stray0, bad0 := c.strayTID.Load(), c.malformed.Load()
	start := time.Now()
	for attempt := 1; ; attempt++ {
		pkt, err := build(tid)
		if err != nil {
			return nil, err
		}
		if err := c.send(pkt); err != nil {
			return nil, fmt.Errorf("udp %s to %s: %w", op, c.hostport, err)
		}
		t := time.NewTimer(c.sched.wait(attempt))
		select {
		case r := <-ch:
			t.Stop()
			if r.err != nil {
				return nil, fmt.Errorf("udp %s to %s: %w", op, c.hostport, r.err)
			}
			return r.b, nil
		case <-ctx.Done():
			t.Stop()
			return nil, c.timeoutErr(op, attempt, start, stray0, bad0, ctx.Err())
		case <-t.C:
		}
		if attempt >= c.sched.Attempts {
			return nil, c.timeoutErr(op, attempt, start, stray0, bad0, nil)
		}
	}
}

func (c *UDPClient) timeoutErr(op string, attempts int, start time.Time, stray0, bad0 int64, ctxErr error) error {
	prefix := fmt.Sprintf("udp %s to %s", op, c.hostport)
	if ctxErr != nil && !errors.Is(ctxErr, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", prefix, ctxErr)
	}
	detail := fmt.Sprintf("after %d attempt(s) in %s", attempts, time.Since(start).Round(time.Millisecond))
	if n := c.strayTID.Load() - stray0; n > 0 {
		detail += fmt.Sprintf("; %d packet(s) with an unknown transaction id ignored", n)
	}
	if n := c.malformed.Load() - bad0; n > 0 {
		detail += fmt.Sprintf("; %d packet(s) too short to carry a transaction id ignored", n)
	}
	if ctxErr != nil {
		return fmt.Errorf("%s: %w %s (%w)", prefix, ErrTimeout, detail, ctxErr)
	}
	return fmt.Errorf("%s: %w %s", prefix, ErrTimeout, detail)
}

func (c *UDPClient) acquire(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *UDPClient) release() { <-c.sem }

// dial opens the socket and starts the reader on first use.
func (c *UDPClient) dial(ctx context.Context) error {
	c.mu.Lock()
	closed, ready := c.closed, c.conn != nil
	c.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if ready {
		return nil
	}
	select {
	case c.dialSem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.dialSem }()
	c.mu.Lock()
	ready = c.conn != nil
	c.mu.Unlock()
	if ready {
		return nil
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, c.network, c.hostport)
	if err != nil {
		return fmt.Errorf("udp tracker %s: %w", c.hostport, err)
	}
	conn, ok := nc.(*net.UDPConn)
	if !ok { // cannot happen with net.Dialer and a udp network
		_ = nc.Close()
		return fmt.Errorf("udp tracker %s: dialing gave a %T", c.hostport, nc)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		_ = conn.Close()
		return ErrClosed
	}
	c.conn = conn
	c.addrLen = 16
	if ra, ok := conn.RemoteAddr().(*net.UDPAddr); ok && ra.AddrPort().Addr().Unmap().Is4() {
		c.addrLen = 4
	}
	c.readerDone = make(chan struct{})
	go c.read(conn, c.readerDone)
	return nil
}

func (c *UDPClient) family() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.addrLen
}

func (c *UDPClient) send(pkt []byte) error {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn == nil {
		return ErrClosed
	}
	_, err := conn.Write(pkt)
	return err
}

// register picks a transaction id no request in flight uses.
func (c *UDPClient) register() (uint32, chan udpReply, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, nil, ErrClosed
	}
	ch := make(chan udpReply, 1)
	for {
		tid := rand.Uint32()
		if _, taken := c.pending[tid]; !taken {
			c.pending[tid] = ch
			return tid, ch, nil
		}
	}
}

func (c *UDPClient) unregister(tid uint32) {
	c.mu.Lock()
	delete(c.pending, tid)
	c.mu.Unlock()
}

// read hands each datagram to the request with its transaction id until
// the socket is closed. A read error on a connected UDP socket (an ICMP
// port unreachable) goes to every request in flight: nothing listens.
func (c *UDPClient) read(conn *net.UDPConn, done chan struct{}) {
	defer close(done)
	buf := make([]byte, 64<<10)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				c.failAll(ErrClosed)
				return
			}
			c.failAll(err)
			continue
		}
		if n < 8 {
			c.malformed.Add(1)
			continue
		}
		tid := binary.BigEndian.Uint32(buf[4:8])
		c.mu.Lock()
		ch, ok := c.pending[tid]
		c.mu.Unlock()
		if !ok {
			c.strayTID.Add(1)
			continue
		}
		select {
		case ch <- udpReply{b: append([]byte(nil), buf[:n]...)}:
		default: // a duplicate reply; the first one is waiting
		}
	}
}

func (c *UDPClient) failAll(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ch := range c.pending {
		select {
		case ch <- udpReply{err: err}:
		default:
		}
	}
}

// Close closes the socket and waits for the reader to stop. Requests in
// flight fail with ErrClosed.
func (c *UDPClient) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	conn, done := c.conn, c.readerDone
	c.mu.Unlock()
	if conn == nil {
		return nil
	}
	err := conn.Close()
	<-done
	return err
}
