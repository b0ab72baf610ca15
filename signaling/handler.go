package signaling

import (
	"context"
	"net/http"
	"net/netip"
	"time"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling/internal/engine"
	"github.com/swarmbridge/swarmbridge/signaling/wire"
)

// Handler serves WebTorrent signaling over WebSocket. Create it with New and
// mount it wherever the tracker should accept WebSocket upgrades (any path).
// It is safe for concurrent use. Shutdown ends its connections and the
// goroutines that serve them.
type Handler struct {
	cfg Config
	log zerolog.Logger
	// storeLog is log sampled, for store failures, which come in floods
	// when the store is unreachable.
	storeLog zerolog.Logger
	obs      Observer
	dec      wire.Decoder
	eng      *engine.Engine

	// ctx bounds every store call; it ends only when Shutdown runs out of
	// time.
	ctx   context.Context
	stop  context.CancelFunc
	async bool       // Swarms may block: messages go to workers (inbox.go)
	pool  workerPool // the workers, when async

	admitted admissions
}

// New returns a Handler, or an error wrapping ErrConfig.
func New(cfg Config) (*Handler, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	h := &Handler{
		cfg:      cfg,
		log:      cfg.Logger,
		storeLog: cfg.Logger.Sample(&zerolog.BurstSampler{Burst: 5, Period: 10 * time.Second}),
		obs:      cfg.Observer,
		ctx:      ctx,
		stop:     stop,
		async:    mayBlock(cfg.Swarms),
		pool:     workerPool{max: cfg.Workers},
		dec:      wire.Decoder{MaxOffers: cfg.MaxOffers, MaxScrapeHashes: cfg.MaxScrapeHashes},
		eng: engine.New(engine.Config{
			MaxMessageSize: cfg.MaxMessageSize,
			SendQueueLen:   cfg.SendQueueLen,
			SendQueueBytes: cfg.SendQueueBytes,
			PingInterval:   cfg.PingInterval,
			PongTimeout:    cfg.PongTimeout,
			IdleTimeout:    cfg.IdleTimeout,
			Logger:         cfg.Logger,
		}),
	}
	return h, nil
}

// Conns returns the number of open WebSocket connections.
func (h *Handler) Conns() int { return h.eng.Conns() }

// ServeHTTP upgrades the request to a WebSocket and hands the connection
// to the Handler, which serves it until it closes; ServeHTTP returns at
// once. Requests that are not WebSocket upgrades get 426 Upgrade Required
// (400 or 405 for other broken handshakes). Upgrades that Config.Policy
// refuses get its status; upgrades over Config.MaxConns get 503 and over
// Config.MaxConnsPerIP 429, each with a plain-text reason.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.eng.BeginUpgrade() {
		http.Error(w, "tracker is shutting down", http.StatusServiceUnavailable)
		return
	}
	served := false // from then on, the connection's end releases what follows
	defer func() {
		if !served {
			h.eng.EndUpgrade()
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
	if p := h.cfg.Policy; p != nil {
		if err := p.Admit(bittorrent.TransportWS, addr, r.Header.Get("Origin"), r.URL.Path); err != nil {
			h.log.Debug().Str("addr", addr.String()).Err(err).Msg("websocket upgrade refused")
			http.Error(w, err.Error(), http.StatusForbidden)
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
	// the caller's choice, made in Config.Policy.
	if status, reason := engine.CheckHandshake(w.Header(), r); status != 0 {
		h.log.Debug().Str("addr", addr.String()).Int("status", status).Str("reason", reason).Msg("websocket upgrade refused")
		http.Error(w, reason, status)
		return
	}
	nc, pipelined, err := engine.Upgrade(w, r)
	if err != nil {
		h.log.Debug().Err(err).Str("addr", addr.String()).Msg("websocket upgrade failed")
		return
	}

	c := h.eng.NewConn(nc)
	s := newSession(h, c, addr, key, r.URL.Path)
	if !h.eng.Register(c, s) {
		return
	}
	served = true
	h.obs.ConnOpened()
	c.Start(pipelined)
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

// local reports whether connection id is on this node.
func (h *Handler) local(id ConnID) bool { return id.Node() == h.cfg.NodeID }

// lookup returns the session of the open connection with id on this node,
// or nil.
func (h *Handler) lookup(id ConnID) *session {
	if !h.local(id) {
		return nil
	}
	c := h.eng.Lookup(uint64(id) & (1<<connSeqBits - 1))
	if c == nil {
		return nil
	}
	s, _ := c.Session().(*session)
	if s == nil || s.id != id {
		return nil
	}
	return s
}

// Shutdown stops accepting connections, closes every open one with 1001
// (going away) and waits for them to finish, their peers removed from the
// swarms; each client has a moment to answer the close frame. When ctx
// ends first, the remaining connections are dropped without waiting, store
// calls still running are cancelled, and Shutdown returns ctx's error once
// they are gone. Then the Handler's goroutines are gone too.
func (h *Handler) Shutdown(ctx context.Context) error {
	err := h.eng.Shutdown(ctx)
	// Every connection has ended, so nothing queues work any more; the
	// workers finish what is queued (the ends of the last connections).
	done := make(chan struct{})
	go func() {
		h.pool.wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		h.stop()
		<-done
		if err == nil {
			err = ctx.Err()
		}
	}
	h.stop()
	return err
}
