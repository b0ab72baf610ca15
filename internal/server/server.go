// Package server assembles the tracker: it builds every transport on one
// shared swarm store, routes the one TCP port between them, opens the
// sockets (Listen) and owns every goroutine that serves them until it is
// told to stop (Run).
package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/certs"
	"github.com/swarmbridge/swarmbridge/internal/clientip"
	"github.com/swarmbridge/swarmbridge/internal/cluster"
	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/httptracker"
	"github.com/swarmbridge/swarmbridge/internal/metrics"
	"github.com/swarmbridge/swarmbridge/internal/signalstore"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
	"github.com/swarmbridge/swarmbridge/internal/udptracker"
	"github.com/swarmbridge/swarmbridge/signaling"
)

// Options are what New needs.
type Options struct {
	Config config.Config
	Logger zerolog.Logger
	Store  swarm.Store
	// Database, when set (SWARMBRIDGE_DATABASE_URL), feeds the keys and
	// the info hash list, keeps download counts and backs the management
	// API; see LoadDatabase.
	Database *Database
	// Cluster is this node's membership of a cluster sharing Store (a
	// Backend's, in Redis mode); nil for a tracker of its own.
	Cluster *cluster.Node
}

// Server is the assembled tracker.
type Server struct {
	ws   *signaling.Handler
	http *httptracker.Handler
	udp  *udptracker.Server
	mux  *http.ServeMux

	store   swarm.Store
	cluster *cluster.Node   // nil for a tracker of its own
	certs   *certs.Reloader // nil without TLS
	started time.Time
	log     zerolog.Logger
	conf    config.Config
	metrics *metrics.Metrics
	ready   readiness
	guard   *guard
	busiest busiestCache

	// The database and the management API (database.go, admin.go).
	// tracked is the store as the transports see it: store itself, or
	// with a database the store whose downloads are tallied.
	tracked  swarm.Store
	data     *dbState     // nil without a database
	admin    http.Handler // nil without ADMIN_ADDR
	adminSrv *http.Server // set by Run with a listener of its own
}

// New builds the tracker's handlers.
func New(o Options) (*Server, error) {
	if o.Store == nil {
		return nil, errors.New("server: a swarm store is required")
	}
	c := o.Config
	addrs := clientip.New(c.Proxies())
	m := metrics.New()
	store := countFailures(o.Store, o.Cluster, m)
	m.Store(store)
	g, err := newGuard(c, m)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	data, tracked, err := newDBState(o.Database, c, g, store, o.Logger)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	ws, err := signaling.New(signaling.Config{
		Observer:           m.WebSocket(),
		Swarms:             signalstore.New(tracked, c.PeerTTL),
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
		Policy:             g.policy(),
		NodeID:             nodeID(o.Cluster),
		Router:             router(o.Cluster),
	})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if o.Cluster != nil {
		o.Cluster.Attach(ws)
	}
	ht, err := httptracker.New(httptracker.Config{
		Store:           tracked,
		ClientAddr:      addrs.ClientAddr,
		Interval:        c.NativeInterval,
		PeerTTL:         c.NativeTTL(),
		DefaultNumWant:  c.NumWant(),
		MaxNumWant:      c.MaxNumWant,
		MaxScrapeHashes: c.MaxScrapeHashes,
		AllowFullScrape: c.AllowFullScrape,
		Observer:        m.Transport(bittorrent.TransportHTTP),
		Logger:          o.Logger.With().Str("transport", bittorrent.TransportHTTP.String()).Logger(),
		Policy:          g.policy(),
	})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	udp, err := udptracker.New(udptracker.Config{
		Store:          tracked,
		Interval:       c.NativeInterval,
		PeerTTL:        c.NativeTTL(),
		DefaultNumWant: c.NumWant(),
		MaxNumWant:     c.MaxNumWant,
		// Larger scrapes do not fit one datagram each way.
		MaxScrapeHashes: min(c.MaxScrapeHashes, udptracker.MaxScrapeHashesLimit),
		Observer:        m.Transport(bittorrent.TransportUDP),
		Logger:          o.Logger.With().Str("transport", bittorrent.TransportUDP.String()).Logger(),
		Secret:          udpSecret(o.Cluster),
		Policy:          g.policy(),
	})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s := &Server{ws: ws, http: ht, udp: udp, log: o.Logger, conf: c, store: store, cluster: o.Cluster, started: time.Now(), metrics: m, guard: g,
		tracked: tracked, data: data}
	if c.TLSCert != "" {
		if s.certs, err = certs.New(c.TLSCert, c.TLSKey); err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
	}
	m.Registry().MustRegister(udpCollector{udp})
	if s.admin, err = s.newAdmin(); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.mux = s.routes()
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

// ServeUDP answers UDP announces and scrapes on conn until ctx ends or
// conn is closed.
func (s *Server) ServeUDP(ctx context.Context, conn *net.UDPConn) error {
	return s.udp.Serve(ctx, conn)
}

// WebSocketConns is the number of open WebSocket connections.
func (s *Server) WebSocketConns() int { return s.ws.Conns() }

// Shutdown closes every WebSocket with 1001 and waits for them, at most
// until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.ws.Shutdown(ctx)
}
