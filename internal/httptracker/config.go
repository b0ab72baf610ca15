package httptracker

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/clientip"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// Defaults for zero Config fields.
const (
	DefaultInterval        = 30 * time.Minute
	DefaultNumWant         = 50
	DefaultMaxNumWant      = 100
	DefaultMaxScrapeHashes = 100
	DefaultMaxQueryLen     = 4096
)

// ErrConfig is wrapped by every error New returns.
var ErrConfig = errors.New("httptracker: invalid config")

// Config configures a Handler. Zero values select the documented defaults.
type Config struct {
	// Store holds the swarms. Required.
	Store swarm.Store
	// ClientAddr returns the address announces are registered under. The
	// default is the TCP peer (clientip.New(nil).ClientAddr); use a
	// clientip.Resolver with trusted proxies behind a reverse proxy. Its
	// result is unmapped and stripped of zones again here.
	ClientAddr func(*http.Request) (netip.Addr, error)
	// Interval is the announce "interval" (default 30m, whole seconds, at
	// least 1s).
	Interval time.Duration
	// MinInterval is "min interval" and the scrape min_request_interval
	// (default Interval/2, at most Interval).
	MinInterval time.Duration
	// PeerTTL is how long an entry lives without another announce (default
	// 2*Interval+60s, at least Interval: shorter would drop peers that
	// announce on time).
	PeerTTL time.Duration
	// DefaultNumWant applies when numwant is absent or unparsable (default
	// 50, at most MaxNumWant).
	DefaultNumWant int
	// MaxNumWant caps numwant (default 100).
	MaxNumWant int
	// MaxScrapeHashes caps info_hash values per scrape (default 100).
	MaxScrapeHashes int
	// AllowFullScrape answers a scrape without info_hash with every swarm.
	// It requires a Store that implements bittorrent.FullScraper (swarm.Store
	// does not require it: a remote or sharded store may not be able to list
	// everything cheaply).
	AllowFullScrape bool
	// MaxQueryLen caps the raw announce query length (default 4096).
	MaxQueryLen int
	// Logger receives operational errors (store failures). The zero value
	// discards them.
	Logger zerolog.Logger
	// Observer, when set, is told about every request (for metrics).
	Observer Observer
	// Policy, when set, decides who may use the tracker. Every announce
	// and scrape is first Allowed (rate limits: false refuses it with
	// ReasonRateLimited and BEP 31 "retry in" 1 minute) and Admitted with
	// its URL path (private-tracker keys), before the query is parsed;
	// every announce is Authorized before the swarm is touched
	// (docs/protocol.md §8.4, §10.4), and every hash of a scrape too: a refused
	// hash is reported as zeros, like an unknown swarm, and full scrapes
	// leave it out. A refusal's error text is the failure reason, or the
	// error itself when it is a *Failure.
	Policy bittorrent.Policy
}

// withDefaults fills zero fields and checks the result.
func (c Config) withDefaults() (Config, error) {
	if c.Store == nil {
		return c, fmt.Errorf("%w: Store is nil", ErrConfig)
	}
	if c.ClientAddr == nil {
		c.ClientAddr = clientip.New(nil).ClientAddr
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Interval < time.Second {
		return c, fmt.Errorf("%w: Interval %v is below one second", ErrConfig, c.Interval)
	}
	if c.MinInterval == 0 {
		c.MinInterval = c.Interval / 2
	}
	if c.MinInterval < 0 || c.MinInterval > c.Interval {
		return c, fmt.Errorf("%w: MinInterval %v must be within 0..Interval (%v)", ErrConfig, c.MinInterval, c.Interval)
	}
	if c.PeerTTL == 0 {
		c.PeerTTL = 2*c.Interval + 60*time.Second
	}
	if c.PeerTTL < c.Interval {
		return c, fmt.Errorf("%w: PeerTTL %v is shorter than Interval %v", ErrConfig, c.PeerTTL, c.Interval)
	}
	var err error
	if c.MaxNumWant, err = positiveOr("MaxNumWant", c.MaxNumWant, DefaultMaxNumWant); err != nil {
		return c, err
	}
	if c.DefaultNumWant, err = positiveOr("DefaultNumWant", c.DefaultNumWant, min(DefaultNumWant, c.MaxNumWant)); err != nil {
		return c, err
	}
	if c.DefaultNumWant > c.MaxNumWant {
		return c, fmt.Errorf("%w: DefaultNumWant %d exceeds MaxNumWant %d", ErrConfig, c.DefaultNumWant, c.MaxNumWant)
	}
	if c.MaxScrapeHashes, err = positiveOr("MaxScrapeHashes", c.MaxScrapeHashes, DefaultMaxScrapeHashes); err != nil {
		return c, err
	}
	if c.MaxQueryLen, err = positiveOr("MaxQueryLen", c.MaxQueryLen, DefaultMaxQueryLen); err != nil {
		return c, err
	}
	if c.AllowFullScrape {
		if _, ok := c.Store.(bittorrent.FullScraper); !ok {
			return c, fmt.Errorf("%w: AllowFullScrape needs a Store with ScrapeAll, %T has none", ErrConfig, c.Store)
		}
	}
	return c, nil
}

// positiveOr returns def for zero and refuses negative values.
func positiveOr(name string, v, def int) (int, error) {
	switch {
	case v == 0:
		return def, nil
	case v < 0:
		return 0, fmt.Errorf("%w: %s %d is negative", ErrConfig, name, v)
	}
	return v, nil
}

// Observer is told about every request, after it was answered. It must be
// cheap and safe for concurrent use.
type Observer interface {
	// Handled is called once per request: action is "announce" or
	// "scrape"; event is the announce event ("started", "completed",
	// "stopped", "update", "unknown") or ""; d is the time it took.
	Handled(action, event string, d time.Duration)
	// Failure is called, before Handled, for a request answered with a
	// failure, with its kind.
	Failure(code bittorrent.FailureCode)
}

type nopObserver struct{}

func (nopObserver) Handled(string, string, time.Duration) {}
func (nopObserver) Failure(bittorrent.FailureCode)        {}
