package signaling

import (
	"context"
	"net/http"
	"net/netip"

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
	obs Observer
	dec wire.Decoder
	eng *engine.Engine

	admitted admissions
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
		dec: wire.Decoder{MaxOffers: cfg.MaxOffers, MaxScrapeHashes: cfg.MaxScrapeHashes},
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

// lookup returns the session of the open connection with id, or nil.
func (h *Handler) lookup(id ConnID) *session {
	c := h.eng.Lookup(uint64(id))
	if c == nil {
		return nil
	}
	s, _ := c.Session().(*session)
	return s
}

// Shutdown stops accepting connections, closes every open one with 1001
// (going away) and waits for them to finish; each client has a moment to
// answer the close frame. When ctx ends first, the remaining connections
// are dropped without waiting and Shutdown returns ctx's error once they
// are gone. Then the Handler's goroutines are gone too.
func (h *Handler) Shutdown(ctx context.Context) error {
	return h.eng.Shutdown(ctx)
}
