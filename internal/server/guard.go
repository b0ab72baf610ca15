package server

import (
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/access"
	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/httptracker"
	"github.com/swarmbridge/swarmbridge/internal/metrics"
	"github.com/swarmbridge/swarmbridge/internal/ratelimit"
	"github.com/swarmbridge/swarmbridge/signaling"
	"github.com/swarmbridge/swarmbridge/signaling/wire"
)

// guard is the access policy and the per-address rate limits, wired into
// the transports' hooks. The transports know nothing of access or
// ratelimit; they only call the functions guard hands them.
type guard struct {
	access *access.Control
	// Per-address limiters; nil when the limit is off.
	wsIP, httpIP, udpIP *ratelimit.Limiter[netip.Addr]

	limitedHTTP, limitedUDP prometheus.Counter
	denied                  map[bittorrent.Transport]map[error]prometheus.Counter
	deniedOrigin            prometheus.Counter
}

// errRateLimited is what an HTTP client over the per-address limit reads;
// BEP 31 "retry in" (minutes) asks it to back off.
var errRateLimited = &httptracker.Failure{Reason: signaling.ReasonRateLimited, RetryIn: "1", Code: bittorrent.FailureRateLimited}

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

// filters reports whether announces need checking at all, so the hooks
// stay nil (free) on an open tracker without lists.
func (g *guard) filters() bool { return g.access.Hashes != nil || g.access.Keys != nil }

// checkAnnounce applies the key (carried by path) and the info hash lists.
func (g *guard) checkAnnounce(transport bittorrent.Transport, ih bittorrent.InfoHash, path string) error {
	if err := g.access.CheckPath(path); err != nil {
		return g.deny(transport, err)
	}
	if err := g.access.CheckInfoHash(ih); err != nil {
		return g.deny(transport, err)
	}
	return nil
}

// WebSocket hooks.

func (g *guard) wsUpgrade() func(*http.Request) (int, string) {
	if g.access.Origins == nil && g.access.Keys == nil {
		return nil
	}
	return func(r *http.Request) (int, string) {
		if !g.access.AllowOrigin(r.Header.Get("Origin")) {
			g.deniedOrigin.Inc()
			return http.StatusForbidden, "origin not allowed"
		}
		if err := g.access.CheckPath(r.URL.Path); err != nil {
			return http.StatusForbidden, g.deny(bittorrent.TransportWS, err).Error()
		}
		return 0, ""
	}
}

// wsAuthorize checks every announce and answer, so a key removed by a
// reload stops the sessions opened with it at their next announce.
func (g *guard) wsAuthorize() func(wire.Action, bittorrent.InfoHash, string) error {
	if !g.filters() {
		return nil
	}
	return func(action wire.Action, ih bittorrent.InfoHash, path string) error {
		if action == wire.ActionScrape {
			// Reported as zeros, not counted as a refusal.
			if g.access.CheckPath(path) != nil {
				return access.ErrUnknownKey
			}
			return g.access.CheckInfoHash(ih)
		}
		return g.checkAnnounce(bittorrent.TransportWS, ih, path)
	}
}

func (g *guard) wsAllowRequest() func(netip.Addr) bool {
	if g.wsIP == nil {
		return nil
	}
	return func(a netip.Addr) bool { return g.wsIP.Allow(ratelimit.AddrKey(a)) }
}

// HTTP hooks.

func (g *guard) httpAdmit() func(*http.Request, netip.Addr) error {
	if g.httpIP == nil && g.access.Keys == nil {
		return nil
	}
	return func(r *http.Request, client netip.Addr) error {
		if g.httpIP != nil && !g.httpIP.Allow(ratelimit.AddrKey(client)) {
			g.limitedHTTP.Inc()
			return errRateLimited
		}
		if err := g.access.CheckPath(r.URL.Path); err != nil {
			return g.deny(bittorrent.TransportHTTP, err)
		}
		return nil
	}
}

func (g *guard) httpAllowInfoHash() func(bittorrent.InfoHash) error {
	if g.access.Hashes == nil {
		return nil
	}
	return func(ih bittorrent.InfoHash) error {
		if err := g.access.CheckInfoHash(ih); err != nil {
			return g.deny(bittorrent.TransportHTTP, err)
		}
		return nil
	}
}

func (g *guard) allowScrape() func(bittorrent.InfoHash) bool {
	if g.access.Hashes == nil {
		return nil
	}
	return func(ih bittorrent.InfoHash) bool { return g.access.CheckInfoHash(ih) == nil }
}

// UDP hooks.

func (g *guard) udpAuthorize() func(bittorrent.InfoHash, []byte, netip.Addr) error {
	if !g.filters() {
		return nil
	}
	return func(ih bittorrent.InfoHash, urlData []byte, _ netip.Addr) error {
		if err := g.access.CheckURLData(urlData); err != nil {
			return g.deny(bittorrent.TransportUDP, err)
		}
		if err := g.access.CheckInfoHash(ih); err != nil {
			return g.deny(bittorrent.TransportUDP, err)
		}
		return nil
	}
}

// udpAllowScrape: UDP scrapes carry no URL (BEP 41 options exist only on
// announces), so a private tracker cannot tell who asks and reports zeros.
func (g *guard) udpAllowScrape() func(bittorrent.InfoHash) bool {
	if g.access.Keys != nil {
		return func(bittorrent.InfoHash) bool { return false }
	}
	return g.allowScrape()
}

func (g *guard) udpAllowPacket() func(netip.Addr) bool {
	if g.udpIP == nil {
		return nil
	}
	return func(a netip.Addr) bool {
		if g.udpIP.Allow(ratelimit.AddrKey(a)) {
			return true
		}
		g.limitedUDP.Inc()
		return false
	}
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
