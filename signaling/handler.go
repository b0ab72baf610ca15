package signaling

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// connShards spreads the connection registry over several locks: every
// relayed offer and answer looks its target up here.
const connShards = 64

// Handler serves WebTorrent signaling over WebSocket. Create it with New and
// mount it wherever the tracker should accept WebSocket upgrades (any path).
// It is safe for concurrent use. Shutdown ends its connections and the
// goroutines that serve them.
type Handler struct {
	cfg Config
	log zerolog.Logger
	obs Observer
	dec Decoder

	nextID atomic.Uint64
	open   atomic.Int64
	shards [connShards]connShard

	mu      sync.Mutex // guards closing and the Add side of serving
	closing bool
	serving sync.WaitGroup // one per upgrade in progress and open connection

	admitted admissions

	pollMu  sync.Mutex
	pollers *pollerSet // started for the first connection they serve
	noPoll  bool       // no pollers: none on this platform, failed, stopped, or turned off by a test
}

// admissions counts the connections MaxConns and MaxConnsPerIP bound:
// accepted ones and upgrades in progress.
type admissions struct {
	mu    sync.Mutex
	total int
	perIP map[netip.Addr]int // by addrKey; entries are deleted at zero
}

type connShard struct {
	mu sync.RWMutex
	m  map[ConnID]*conn
}

// New returns a Handler, or an error wrapping ErrConfig.
func New(cfg Config) (*Handler, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	h := &Handler{
		cfg: cfg,
		log: cfg.Logger,
		obs: cfg.Observer,
		dec: Decoder{MaxOffers: cfg.MaxOffers, MaxScrapeHashes: cfg.MaxScrapeHashes},
	}
	for i := range h.shards {
		h.shards[i].m = make(map[ConnID]*conn)
	}
	return h, nil
}

// Conns returns the number of open WebSocket connections.
func (h *Handler) Conns() int { return int(h.open.Load()) }

// ServeHTTP upgrades the request to a WebSocket and hands the connection
// to the Handler, which serves it until it closes; ServeHTTP returns at
// once. Requests that are not WebSocket upgrades get 426 Upgrade Required
// (400 or 405 for other broken handshakes). Upgrades that Config.Upgrade
// refuses get its status; upgrades over Config.MaxConns get 503 and over
// Config.MaxConnsPerIP 429, each with a plain-text reason.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		http.Error(w, "tracker is shutting down", http.StatusServiceUnavailable)
		return
	}
	h.serving.Add(1)
	h.mu.Unlock()
	served := false // from then on, the connection's finalize releases what follows
	defer func() {
		if !served {
			h.serving.Done()
		}
	}()

	addr, err := h.clientAddr(r)
	if err != nil {
		// Falling back to the socket address would count this client
		// under its proxy's address, and let it spend everyone's limits.
		h.log.Debug().Err(err).Str("remote", r.RemoteAddr).Msg("websocket upgrade refused")
		http.Error(w, "cannot tell the client address: "+err.Error(), http.StatusBadRequest)
		return
	}
	if h.cfg.Upgrade != nil {
		if status, reason := h.cfg.Upgrade(r); status != 0 {
			h.log.Debug().Str("addr", addr.String()).Int("status", status).Str("reason", reason).Msg("websocket upgrade refused")
			http.Error(w, reason, status)
			return
		}
	}
	key := addrKey(addr)
	if lim := h.admit(key); lim != 0 {
		h.obs.Limited(lim)
		status, reason := http.StatusServiceUnavailable, "too many connections, try again later"
		if lim == LimitConnsPerIP {
			status, reason = http.StatusTooManyRequests, "too many connections from your address"
		}
		h.log.Debug().Str("addr", addr.String()).Str("limit", lim.String()).Msg("websocket upgrade refused")
		http.Error(w, reason, status)
		return
	}
	defer func() {
		if !served {
			h.release(key)
		}
	}()

	// WebTorrent pages live on any origin; access control by origin is
	// the caller's choice, made in Config.Upgrade.
	if status, reason := checkHandshake(w.Header(), r); status != 0 {
		h.log.Debug().Str("addr", addr.String()).Int("status", status).Str("reason", reason).Msg("websocket upgrade refused")
		http.Error(w, reason, status)
		return
	}
	nc, pipelined, err := upgrade(w, r)
	if err != nil {
		h.log.Debug().Err(err).Str("addr", addr.String()).Msg("websocket upgrade failed")
		return
	}

	c := newConn(h, nc, addr, r.URL.Path)
	h.attach(c)
	if !h.add(c) {
		refuseShuttingDown(nc)
		return
	}
	served = true
	h.open.Add(1)
	h.obs.ConnOpened()
	c.begin(pipelined)
}

// attach chooses how c is served: plain TCP connections by the pollers,
// where there are any; TLS connections, which cannot be read by
// descriptor, by a reader goroutine each. It runs before c is published.
func (h *Handler) attach(c *conn) {
	tc, ok := c.nc.(*net.TCPConn)
	if !ok {
		return
	}
	h.pollMu.Lock()
	defer h.pollMu.Unlock()
	if h.noPoll {
		return
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	if h.pollers == nil {
		ps, err := startPollers(h, runtime.GOMAXPROCS(0))
		if err != nil {
			h.log.Warn().Err(err).Msg("epoll unavailable: serving each WebSocket with a goroutine")
		}
		if ps == nil {
			h.noPoll = true
			return
		}
		h.pollers = ps
	}
	c.raw, c.inline, c.poll = raw, inlineWrites, h.pollers.pick(c.id)
}

// stopPollers stops the pollers for good, once no connection is left.
func (h *Handler) stopPollers() {
	h.pollMu.Lock()
	ps := h.pollers
	h.pollers, h.noPoll = nil, true
	h.pollMu.Unlock()
	if ps != nil {
		ps.stop()
	}
}

// refuseShuttingDown closes a connection upgraded while Shutdown began.
func refuseShuttingDown(nc net.Conn) {
	code, text := CloseShutdown.status()
	f := newFrame()
	*f = appendClosePayload(*f, code, text)
	off := putFrameHeader(*f, opClose)
	_ = nc.SetWriteDeadline(time.Now().Add(closeWait))
	_, _ = nc.Write((*f)[off:])
	putBuf(f)
	_ = nc.Close()
}

// clientAddr is the address limits and logs use: what ClientAddr says,
// else the TCP peer's. An error from ClientAddr refuses the upgrade.
func (h *Handler) clientAddr(r *http.Request) (netip.Addr, error) {
	if h.cfg.ClientAddr != nil {
		return h.cfg.ClientAddr(r)
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, nil
	}
	return ap.Addr().Unmap(), nil
}

// addrKey is the address connections are counted under: IPv6 clients by
// their /64, since one subscriber usually holds a whole /64.
func addrKey(a netip.Addr) netip.Addr {
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// admit reserves a connection slot for key, or returns the limit that
// refuses it.
func (h *Handler) admit(key netip.Addr) Limit {
	maxAll, maxIP := h.cfg.MaxConns, h.cfg.MaxConnsPerIP
	if maxAll == 0 && maxIP == 0 {
		return 0
	}
	a := &h.admitted
	a.mu.Lock()
	defer a.mu.Unlock()
	if maxAll > 0 && a.total >= maxAll {
		return LimitConns
	}
	if maxIP > 0 {
		if a.perIP[key] >= maxIP {
			return LimitConnsPerIP
		}
		if a.perIP == nil {
			a.perIP = make(map[netip.Addr]int)
		}
		a.perIP[key]++
	}
	a.total++
	return 0
}

// release gives back the slot admit reserved.
func (h *Handler) release(key netip.Addr) {
	if h.cfg.MaxConns == 0 && h.cfg.MaxConnsPerIP == 0 {
		return
	}
	a := &h.admitted
	a.mu.Lock()
	a.total--
	if h.cfg.MaxConnsPerIP > 0 {
		if n := a.perIP[key] - 1; n > 0 {
			a.perIP[key] = n
		} else {
			delete(a.perIP, key)
		}
	}
	a.mu.Unlock()
}

func (h *Handler) shard(id ConnID) *connShard { return &h.shards[uint64(id)%connShards] }

// add registers c unless the handler is shutting down. Holding h.mu while
// inserting guarantees Shutdown sees every connection that got in.
func (h *Handler) add(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	s := h.shard(c.id)
	s.mu.Lock()
	s.m[c.id] = c
	s.mu.Unlock()
	return true
}

func (h *Handler) remove(c *conn) {
	s := h.shard(c.id)
	s.mu.Lock()
	delete(s.m, c.id)
	s.mu.Unlock()
}

// lookup returns the open connection with id, or nil.
func (h *Handler) lookup(id ConnID) *conn {
	s := h.shard(id)
	s.mu.RLock()
	c := s.m[id]
	s.mu.RUnlock()
	return c
}

func (h *Handler) each(f func(*conn)) {
	for i := range h.shards {
		s := &h.shards[i]
		s.mu.RLock()
		cs := make([]*conn, 0, len(s.m))
		for _, c := range s.m {
			cs = append(cs, c)
		}
		s.mu.RUnlock()
		for _, c := range cs {
			f(c)
		}
	}
}

// Shutdown stops accepting connections, closes every open one with 1001
// (going away) and waits for them to finish; each client has a moment to
// answer the close frame. When ctx ends first, the remaining connections
// are dropped without waiting and Shutdown returns ctx's error once they
// are gone. Then the Handler's goroutines are gone too.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	h.mu.Unlock()

	h.each(func(c *conn) { c.closeWith(CloseShutdown) })

	done := make(chan struct{})
	go func() {
		h.serving.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		h.each(func(c *conn) { c.abort() })
		<-done
		err = ctx.Err()
	}
	h.stopPollers()
	return err
}
