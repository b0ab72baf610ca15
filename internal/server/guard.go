package server

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/access"
	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/metrics"
	"github.com/swarmbridge/swarmbridge/internal/ratelimit"
)

// guard is the access policy and the per-address rate limits: the
// bittorrent.Policy every transport asks. The transports know nothing of
// access or ratelimit.
type guard struct {
	access *access.Control
	// Per-address limiters; nil when the limit is off.
	wsIP, httpIP, udpIP *ratelimit.Limiter[netip.Addr]

	limitedHTTP, limitedUDP prometheus.Counter
	denied                  map[bittorrent.Transport]map[error]prometheus.Counter
	deniedOrigin            prometheus.Counter
}

func newGuard(c config.Config, m *metrics.Metrics) (*guard, error) {
	g := &guard{
		access:       &access.Control{},
		limitedHTTP:  m.Limited(bittorrent.TransportHTTP, metrics.LimitIPAnnounces),
		limitedUDP:   m.Limited(bittorrent.TransportUDP, metrics.LimitIPRequests),
		deniedOrigin: m.Denied(bittorrent.TransportWS, metrics.DeniedOrigin),
		denied:       map[bittorrent.Transport]map[error]prometheus.Counter{},
	}
	for _, t := range bittorrent.Transports() {
		key := m.Denied(t, metrics.DeniedKey)
		g.denied[t] = map[error]prometheus.Counter{
			access.ErrMissingKey:         key,
			access.ErrUnknownKey:         key,
			access.ErrInfoHashNotAllowed: m.Denied(t, metrics.DeniedInfoHash),
		}
	}

	var err error
	if c.AllowedOrigins != "" {
		if g.access.Origins, err = access.ParseOrigins(c.AllowedOrigins); err != nil {
			return nil, fmt.Errorf("SWARMBRIDGE_ALLOWED_ORIGINS: %w", err)
		}
	}
	switch {
	case c.InfoHashAllowlist != "":
		if g.access.Hashes, err = access.LoadHashFilter(c.InfoHashAllowlist, false); err != nil {
			return nil, fmt.Errorf("SWARMBRIDGE_INFOHASH_ALLOWLIST: %w", err)
		}
	case c.InfoHashDenylist != "":
		if g.access.Hashes, err = access.LoadHashFilter(c.InfoHashDenylist, true); err != nil {
			return nil, fmt.Errorf("SWARMBRIDGE_INFOHASH_DENYLIST: %w", err)
		}
	}
	if c.KeysFile != "" {
		if g.access.Keys, err = access.LoadKeys(c.KeysFile); err != nil {
			return nil, fmt.Errorf("SWARMBRIDGE_KEYS_FILE: %w", err)
		}
	}

	limiter := func(name string, n int, per time.Duration) (*ratelimit.Limiter[netip.Addr], error) {
		if n == 0 {
			return nil, nil
		}
		l, err := ratelimit.NewAddr(ratelimit.Options{Burst: n, Per: per, MaxKeys: c.RateLimitMaxIPs})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return l, nil
	}
	if g.wsIP, err = limiter("SWARMBRIDGE_ANNOUNCES_PER_IP", c.AnnouncesPerIP, c.AnnounceInterval); err != nil {
		return nil, err
	}
	if g.httpIP, err = limiter("SWARMBRIDGE_ANNOUNCES_PER_IP", c.AnnouncesPerIP, c.NativeInterval); err != nil {
		return nil, err
	}
	if g.udpIP, err = limiter("SWARMBRIDGE_UDP_REQUESTS_PER_IP", c.UDPRequestsPerIP, time.Minute); err != nil {
		return nil, err
	}
	return g, nil
}

// deny counts a refusal by access control and returns err.
func (g *guard) deny(transport bittorrent.Transport, err error) error {
	if c := g.denied[transport][err]; c != nil {
		c.Inc()
	}
	return err
}

// filters reports whether announces need checking at all.
func (g *guard) filters() bool { return g.access.Hashes != nil || g.access.Keys != nil }

// policy is the guard as the transports see it, or nil when it has
// nothing to check, so an open tracker without limits pays nothing.
func (g *guard) policy() bittorrent.Policy {
	if g.access.Origins == nil && !g.filters() && g.wsIP == nil && g.httpIP == nil && g.udpIP == nil {
		return nil
	}
	return g
}

// errOriginNotAllowed refuses a WebSocket upgrade from a page that may
// not use the tracker.
var errOriginNotAllowed = errors.New("origin not allowed")

// Admit checks a WebSocket page's origin and, on every transport, the key
// in the URL path.
func (g *guard) Admit(t bittorrent.Transport, _ netip.Addr, origin, path string) error {
	if t == bittorrent.TransportWS && !g.access.AllowOrigin(origin) {
		g.deniedOrigin.Inc()
		return errOriginNotAllowed
	}
	if err := g.access.CheckPath(path); err != nil {
		return g.deny(t, err)
	}
	return nil
}

// Allow spends one request of addr's budget on transport t. WebSocket
// refusals are counted by the relay's observer, the others here.
func (g *guard) Allow(t bittorrent.Transport, addr netip.Addr) bool {
	var l *ratelimit.Limiter[netip.Addr]
	var limited prometheus.Counter
	switch t {
	case bittorrent.TransportWS:
		l = g.wsIP
	case bittorrent.TransportHTTP:
		l, limited = g.httpIP, g.limitedHTTP
	case bittorrent.TransportUDP:
		l, limited = g.udpIP, g.limitedUDP
	}
	if l == nil || l.Allow(ratelimit.AddrKey(addr)) {
		return true
	}
	if limited != nil {
		limited.Inc()
	}
	return false
}

// Authorize applies the key (carried by path) and the info hash lists. It
// is asked about every WebSocket announce and answer, so a key removed by
// a reload stops the sessions opened with it at their next announce. A
// refused scrape is reported as zeros and not counted as a refusal; UDP
// scrapes carry no key, so a private tracker answers them with zeros.
func (g *guard) Authorize(t bittorrent.Transport, a bittorrent.Action, ih bittorrent.InfoHash, path string) error {
	if a == bittorrent.ActionScrape {
		if g.access.CheckPath(path) != nil {
			return access.ErrUnknownKey
		}
		return g.access.CheckInfoHash(ih)
	}
	if err := g.access.CheckPath(path); err != nil {
		return g.deny(t, err)
	}
	if err := g.access.CheckInfoHash(ih); err != nil {
		return g.deny(t, err)
	}
	return nil
}

// ReloadAccess re-reads the info hash list and keys files (SIGHUP). A file
// that fails to load keeps its previous version; the error says which.
// Connections stay open: lists are swapped atomically and checked on every
// announce, so WebSocket sessions opened with a key that is now gone get
// "unknown key" at their next announce.
func (s *Server) ReloadAccess() error { return s.guard.access.Reload() }

// Reloadable reports whether ReloadAccess has any file to read.
func (s *Server) Reloadable() bool { return s.guard.filters() }

// AccessSummary describes the access policy in force, for logs.
func (s *Server) AccessSummary() string { return s.guard.access.Summary() }
