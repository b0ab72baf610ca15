package server

import (
	"net/http"
	"strings"

	"github.com/swarmbridge/swarmbridge/internal/access"
	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/web"
)

// routes are the HTTP routes of the tracker's TCP port, behind ServeHTTP.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", s.serveStats)
	mux.HandleFunc("GET /readyz", s.serveReady)
	if s.conf.MetricsAddr == "" {
		mux.Handle("GET /metrics", s.metrics.Handler())
	}
	// BEP 48: the scrape URL is the announce URL with "announce" replaced
	// by "scrape" in its last path segment; both common forms are served.
	mux.HandleFunc("GET /announce", s.http.ServeAnnounce)
	mux.HandleFunc("GET /announce.php", s.http.ServeAnnounce)
	mux.HandleFunc("GET /scrape", s.http.ServeScrape)
	mux.HandleFunc("GET /scrape.php", s.http.ServeScrape)
	mux.HandleFunc("GET /healthz", serveHealth)
	mux.Handle("GET /", web.Handler())
	s.mountAdmin(mux, config.AdminOnHTTP)
	return mux
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

// keyedRoute serves the HTTP announce and scrape forms that carry a key in
// the path (/announce/KEY, /KEY/announce and the scrape twins), which the
// mux patterns cannot express without conflicting. It reports whether it
// handled r.
func (s *Server) keyedRoute(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	action, key, ok := access.ParsePath(r.URL.Path)
	if !ok || key == "" {
		return false
	}
	switch action {
	case access.ActionAnnounce:
		s.http.ServeAnnounce(w, r)
	case access.ActionScrape:
		s.http.ServeScrape(w, r)
	default:
		return false
	}
	return true
}

// metricsHandler serves /metrics, /healthz and /readyz for the separate
// listener (SWARMBRIDGE_METRICS_ADDR).
func (s *Server) metricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.HandleFunc("GET /healthz", serveHealth)
	mux.HandleFunc("GET /readyz", s.serveReady)
	s.mountAdmin(mux, config.AdminOnMetrics)
	return mux
}
