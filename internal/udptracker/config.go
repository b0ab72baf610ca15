package udptracker

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// Defaults for zero Config fields.
const (
	DefaultInterval        = 30 * time.Minute
	DefaultNumWant         = 50
	DefaultMaxScrapeHashes = 74 // BEP 15: "up to about 74"
	defaultSecretLen       = 32
	// minSecretLen rejects keys too short to keep ids unguessable.
	minSecretLen = 16
	// MaxScrapeHashesLimit is the most hashes one scrape may ask for: 101,
	// so the request fits maxRequestLen (what the batched reader keeps of
	// a datagram) and the reply stays within maxDatagram.
	MaxScrapeHashesLimit = min((maxRequestLen-headerLen)/infoHashLen, (maxDatagram-scrapeReplyHdrLen)/scrapeRecordLen)
)

// Config configures a Server. Zero values take the defaults given on each
// field.
type Config struct {
	// Store holds the swarms. Required.
	Store swarm.Store
	// Interval is the announce interval sent to clients. Default 30 min.
	Interval time.Duration
	// PeerTTL is how long a peer lives without announcing. Default
	// 2·Interval + 60 s (docs/protocol.md §6.6), so one lost announce does
	// not drop it.
	PeerTTL time.Duration
	// DefaultNumWant is the number of peers returned when num_want ≤ 0.
	// Default 50.
	DefaultNumWant int
	// MaxNumWant caps num_want. Whatever its value, replies hold at most
	// 202 IPv4 or 67 IPv6 peers so they fit a 1232-byte datagram. Default
	// (0): those limits.
	MaxNumWant int
	// MaxScrapeHashes is the most info hashes one scrape may ask for;
	// larger scrapes get no reply. Default 74.
	MaxScrapeHashes int
	// Secret keys the connection-id MAC. Give several trackers the same
	// secret to let clients move between them, or persist it to keep ids
	// valid across restarts. Empty: 32 random bytes. At least 16 bytes.
	Secret []byte
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Policy, if set, decides who may use the tracker:
	//   - Allow(TransportUDP, addr) is asked about every datagram with its
	//     source address (unmapped), before it is parsed: a per-address
	//     rate limit. Refused packets are dropped without a reply and
	//     counted in Stats.RateLimited; abuse gets no answers
	//     (docs/protocol.md §10.6).
	//   - Authorize(TransportUDP, ActionAnnounce, …) about every announce
	//     before the swarm is touched (docs/protocol.md §8.4, §10.8), with the path and query of the
	//     announce URL from BEP 41 URLData options, concatenated and not
	//     percent-decoded ("" when the client sent none), valid only during
	//     the call. An error is sent as an error packet carrying its text.
	//   - Authorize(TransportUDP, ActionScrape, …, "") about every hash of
	//     a scrape (which carries no URL data); refused hashes are reported
	//     as zeros, like unknown swarms.
	// It is called concurrently from several workers. Admit is never
	// called: a datagram names no page and no path.
	Policy bittorrent.Policy
	// Workers is the number of goroutines reading the socket in Serve.
	// Default runtime.GOMAXPROCS(0). When the store may block
	// (swarm.Blocking), the announces and scrapes of one batch of
	// datagrams are answered concurrently, so a batch costs about one
	// round trip; where there are no batches, the default is 32 readers
	// per GOMAXPROCS instead.
	Workers int
	// Logger receives start-up and failure messages. Nothing is logged per
	// packet above debug level.
	Logger zerolog.Logger
	// Observer, when set, is told about every answered request (for
	// metrics); dropped packets are counted in Stats instead. Nil costs
	// nothing on the hot path.
	Observer Observer
}

// Observer is told about every answered request. It must be cheap and
// safe for concurrent use.
type Observer interface {
	// Handled is called once per answered request: action is "connect",
	// "announce" or "scrape"; event is the announce event ("started",
	// "completed", "stopped", "update") or ""; d is the time it took.
	Handled(action, event string, d time.Duration)
	// Failure is called, before Handled, for a request answered with an
	// error packet, with its kind.
	Failure(code bittorrent.FailureCode)
}

// settings is a validated Config with defaults applied and values
// converted to what the hot path needs.
type settings struct {
	store           swarm.Store
	interval        uint32 // seconds, as sent
	ttl             time.Duration
	defaultNumWant  int
	maxNumWant4     int
	maxNumWant6     int
	maxScrapeHashes int
	secret          []byte
	now             func() time.Time
	policy          bittorrent.Policy
	observer        Observer
	workers         int
	log             zerolog.Logger
	// blocking: the store's calls wait on the network (swarm.MayBlock),
	// so a batch's requests are answered concurrently.
	blocking bool
}

var errConfig = errors.New("udptracker: invalid config")

func (c *Config) settings() (settings, error) {
	s := settings{
		store:    c.Store,
		now:      c.Now,
		policy:   c.Policy,
		observer: c.Observer,
		workers:  c.Workers,
		log:      c.Logger,
	}
	if s.store == nil {
		return s, fmt.Errorf("%w: Store is nil", errConfig)
	}
	if s.now == nil {
		s.now = time.Now
	}

	iv := c.Interval
	switch {
	case iv == 0:
		iv = DefaultInterval
	case iv < time.Second || iv/time.Second > math.MaxUint32:
		return s, fmt.Errorf("%w: Interval %v out of range", errConfig, iv)
	}
	s.interval = uint32(iv / time.Second)

	s.ttl = c.PeerTTL
	switch {
	case s.ttl == 0:
		s.ttl = 2*iv + time.Minute
	case s.ttl < 0:
		return s, fmt.Errorf("%w: PeerTTL %v is negative", errConfig, s.ttl)
	}

	max := c.MaxNumWant
	switch {
	case max == 0:
		max = maxPeers4
	case max < 0:
		return s, fmt.Errorf("%w: MaxNumWant %d is negative", errConfig, max)
	}
	s.maxNumWant4 = min(max, maxPeers4)
	s.maxNumWant6 = min(max, maxPeers6)

	s.defaultNumWant = c.DefaultNumWant
	switch {
	case s.defaultNumWant == 0:
		s.defaultNumWant = DefaultNumWant
	case s.defaultNumWant < 0:
		return s, fmt.Errorf("%w: DefaultNumWant %d is negative", errConfig, s.defaultNumWant)
	}

	s.maxScrapeHashes = c.MaxScrapeHashes
	switch {
	case s.maxScrapeHashes == 0:
		s.maxScrapeHashes = DefaultMaxScrapeHashes
	case s.maxScrapeHashes < 0 || s.maxScrapeHashes > MaxScrapeHashesLimit:
		return s, fmt.Errorf("%w: MaxScrapeHashes %d not in 1..%d", errConfig, s.maxScrapeHashes, MaxScrapeHashesLimit)
	}

	switch n := len(c.Secret); {
	case n == 0:
		s.secret = make([]byte, defaultSecretLen)
		if _, err := rand.Read(s.secret); err != nil {
			return s, fmt.Errorf("udptracker: generating secret: %w", err)
		}
	case n < minSecretLen:
		return s, fmt.Errorf("%w: Secret is %d bytes, want at least %d", errConfig, n, minSecretLen)
	default:
		// Copied so a caller reusing its slice cannot change live keys.
		s.secret = append([]byte(nil), c.Secret...)
	}

	s.blocking = swarm.MayBlock(s.store)
	switch {
	case s.workers == 0 && s.blocking && !batching:
		// Without batches, each reader waits for one store call at a
		// time: as many readers as a batched reader has calls in flight.
		s.workers = runtime.GOMAXPROCS(0) * 32
	case s.workers == 0:
		s.workers = runtime.GOMAXPROCS(0)
	case s.workers < 0:
		return s, fmt.Errorf("%w: Workers %d is negative", errConfig, s.workers)
	}
	return s, nil
}
