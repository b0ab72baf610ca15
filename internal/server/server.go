// Package server assembles the tracker: it builds every transport on one
// shared swarm store and routes the one TCP port between them. It never
// listens; cmd/swarmbridge owns the sockets.
package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/clientip"
	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/httptracker"
	"github.com/swarmbridge/swarmbridge/internal/metrics"
	"github.com/swarmbridge/swarmbridge/internal/signalstore"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
	"github.com/swarmbridge/swarmbridge/internal/udptracker"
	"github.com/swarmbridge/swarmbridge/signaling"
	"github.com/swarmbridge/swarmbridge/web"
)

// Options are what New needs.
type Options struct {
	Config config.Config
	Logger zerolog.Logger
	Store  swarm.Store
}

// Server is the assembled tracker.
type Server struct {
	ws   *signaling.Handler
	http *httptracker.Handler
	udp  *udptracker.Server
	mux  *http.ServeMux

	store   swarm.Store
	started time.Time
	log     zerolog.Logger
	conf    config.Config
	metrics *metrics.Metrics
	ready   readiness
	guard   *guard
	busiest busiestCache
}

// New builds the tracker's handlers.
func New(o Options) (*Server, error) {
	if o.Store == nil {
		return nil, errors.New("server: a swarm store is required")
	}
	c := o.Config
	addrs := clientip.New(c.Proxies())
	m := metrics.New()
	m.Store(o.Store)
	g, err := newGuard(c, m)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	ws, err := signaling.New(signaling.Config{
		Observer:           m.WebSocket(),
		Swarms:             signalstore.New(o.Store, c.PeerTTL),
		Logger:             o.Logger.With().Str("transport", bittorrent.TransportWS.String()).Logger(),
		ClientAddr:         addrs.ClientAddr,
		AnnounceInterval:   c.AnnounceInterval,
		MaxMessageSize:     int64(c.MaxMessageSize),
		MaxOffers:          c.MaxOffers,
		MaxScrapeHashes:    c.MaxScrapeHashes,
		AllowFullScrape:    c.AllowFullScrape,
		MaxTorrentsPerConn: c.MaxTorrentsPerConn,
		SendQueueLen:       c.SendQueue,
		MaxPendingOffers:   c.PendingOffers,
		PingInterval:       pingInterval(c.PingInterval),
		MaxConns:           c.WSMaxConns,
		MaxConnsPerIP:      c.WSMaxConnsPerIP,
		AnnouncesPerConn:   c.WSAnnouncesPerConn,
		IdleTimeout:        c.WSIdleTimeout,
		Upgrade:            g.wsUpgrade(),
		Authorize:          g.wsAuthorize(),
		AllowRequest:       g.wsAllowRequest(),
	})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	ht, err := httptracker.New(httptracker.Config{
		Store:           o.Store,
		ClientAddr:      addrs.ClientAddr,
		Interval:        c.NativeInterval,
		PeerTTL:         c.NativeTTL(),
		DefaultNumWant:  c.DefaultNumWant,
		MaxNumWant:      c.MaxNumWant,
		MaxScrapeHashes: c.MaxScrapeHashes,
		AllowFullScrape: c.AllowFullScrape,
		Observer:        m.Transport(bittorrent.TransportHTTP),
		Logger:          o.Logger.With().Str("transport", bittorrent.TransportHTTP.String()).Logger(),
		Admit:           g.httpAdmit(),
		AllowInfoHash:   g.httpAllowInfoHash(),
		AllowScrape:     g.allowScrape(),
	})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	udp, err := udptracker.New(udptracker.Config{
		Store:          o.Store,
		Interval:       c.NativeInterval,
		PeerTTL:        c.NativeTTL(),
		DefaultNumWant: c.DefaultNumWant,
		MaxNumWant:     c.MaxNumWant,
		// Larger scrapes do not fit one datagram each way.
		MaxScrapeHashes: min(c.MaxScrapeHashes, udptracker.MaxScrapeHashesLimit),
		Observer:        m.Transport(bittorrent.TransportUDP),
		Logger:          o.Logger.With().Str("transport", bittorrent.TransportUDP.String()).Logger(),
		Authorize:       g.udpAuthorize(),
		AllowScrape:     g.udpAllowScrape(),
		AllowPacket:     g.udpAllowPacket(),
	})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s := &Server{ws: ws, http: ht, udp: udp, mux: http.NewServeMux(), log: o.Logger, conf: c, store: o.Store, started: time.Now(), metrics: m, guard: g}
	m.Registry().MustRegister(udpCollector{udp})
	s.mux.HandleFunc("GET /stats", s.serveStats)
	s.mux.HandleFunc("GET /readyz", s.serveReady)
	if c.MetricsAddr == "" {
		s.mux.Handle("GET /metrics", m.Handler())
	}
	// BEP 48: the scrape URL is the announce URL with "announce" replaced
	// by "scrape" in its last path segment; both common forms are served.
	s.mux.HandleFunc("GET /announce", ht.ServeAnnounce)
	s.mux.HandleFunc("GET /announce.php", ht.ServeAnnounce)
	s.mux.HandleFunc("GET /scrape", ht.ServeScrape)
	s.mux.HandleFunc("GET /scrape.php", ht.ServeScrape)
	s.mux.HandleFunc("GET /healthz", serveHealth)
	s.mux.Handle("GET /", web.Handler())
	return s, nil
}

// pingInterval maps the operator's "0 disables" to signaling's "negative
// disables" (its zero means the default).
func pingInterval(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// ServeHTTP routes WebSocket upgrades on any path to the signaling relay,
// announces and scrapes with a key in the path to the HTTP tracker, and
// everything else to the HTTP routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isWebSocketUpgrade(r) {
		s.ws.ServeHTTP(w, r)
		return
	}
	if s.keyedRoute(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// isWebSocketUpgrade reports whether r asks for a WebSocket, the way
// WebTorrent trackers route one port between WebSocket and HTTP.
func isWebSocketUpgrade(r *http.Request) bool {
	for _, v := range r.Header.Values("Upgrade") {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "websocket") {
				return true
			}
		}
	}
	return false
}

// ServeUDP answers UDP announces and scrapes on conn until ctx ends or
// conn is closed.
func (s *Server) ServeUDP(ctx context.Context, conn *net.UDPConn) error {
	return s.udp.Serve(ctx, conn)
}

// metricsHandler serves /metrics, /healthz and /readyz for the separate
// listener (SWARMBRIDGE_METRICS_ADDR).
func (s *Server) metricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.HandleFunc("GET /healthz", serveHealth)
	mux.HandleFunc("GET /readyz", s.serveReady)
	return mux
}

// HTTPConnState counts HTTP connections for the metrics; set it as the
// http.Server's ConnState.
func (s *Server) HTTPConnState(_ net.Conn, state http.ConnState) {
	s.metrics.HTTPConnState(state)
}

// WebSocketConns is the number of open WebSocket connections.
func (s *Server) WebSocketConns() int { return s.ws.Conns() }

// Shutdown closes every WebSocket with 1001 and waits for them, at most
// until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.ws.Shutdown(ctx)
}
