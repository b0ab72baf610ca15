package signaling

import (
	"context"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"
)

// connShards spreads the connection registry over several locks: every
// relayed offer and answer looks its target up here.
const connShards = 64

// Handler serves WebTorrent signaling over WebSocket. Create it with New and
// mount it wherever the tracker should accept WebSocket upgrades (any path).
// It is safe for concurrent use.
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
	serving sync.WaitGroup // one per connection being served

	admitted admissions
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

// ServeHTTP upgrades the request to a WebSocket and serves it until it
// closes. Requests that are not WebSocket upgrades get 426 Upgrade Required.
// Upgrades that Config.Upgrade refuses get its status; upgrades over
// Config.MaxConns get 503 and over Config.MaxConnsPerIP 429, each with a
// plain-text reason.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		http.Error(w, "tracker is shutting down", http.StatusServiceUnavailable)
		return
	}
	h.serving.Add(1)
	h.mu.Unlock()
	defer h.serving.Done()

	addr := h.clientAddr(r)
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
	defer h.release(key)

	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// WebTorrent pages live on any origin; access control by origin
		// is the caller's choice, made before the request gets here.
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		// Accept has already written the HTTP error.
		h.log.Debug().Err(err).Str("addr", addr.String()).Msg("websocket upgrade refused")
		return
	}
	ws.SetReadLimit(h.cfg.MaxMessageSize)

	c := newConn(h, ws, addr, r.URL.Path)
	if !h.add(c) {
		_ = ws.Close(CloseShutdown.status())
		return
	}
	h.open.Add(1)
	h.obs.ConnOpened()
	c.serve()
	h.open.Add(-1)
}

func (h *Handler) clientAddr(r *http.Request) netip.Addr {
	if h.cfg.ClientAddr != nil {
		if a, err := h.cfg.ClientAddr(r); err == nil {
			return a
		}
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
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
// (going away) and waits for them to finish. When ctx ends first, the
// remaining connections are dropped without a close handshake and
// Shutdown returns ctx's error once they are gone.
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
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		h.each(func(c *conn) { _ = c.ws.CloseNow() })
		<-done
		return ctx.Err()
	}
}
