package signaling

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// Config configures a Handler. Zero values take the defaults documented on
// each field.
type Config struct {
	// Swarms is the swarm store. Required.
	Swarms Swarms
	// Logger receives connection-level events; nothing is logged per
	// message at Info level.
	Logger zerolog.Logger
	// Observer receives metrics events. Nil discards them.
	Observer Observer
	// ClientAddr returns the address of the client behind a request (for
	// logs and limits). Nil uses the TCP peer address. An error refuses
	// the upgrade with 400 and the error's text.
	ClientAddr func(*http.Request) (netip.Addr, error)

	// AnnounceInterval is the "interval" sent to clients. Default 120 s.
	AnnounceInterval time.Duration
	// MaxMessageSize bounds one message (and so one frame). Bigger ones
	// close the connection with 1009. Default 64 KiB.
	MaxMessageSize int64
	// MaxOffers is how many offers of one announce are relayed; the rest
	// are ignored. Default 10.
	MaxOffers int
	// AllowFullScrape answers a scrape without info_hash with every swarm;
	// Swarms must implement bittorrent.FullScraper. Off by default: the answer grows
	// with the tracker.
	AllowFullScrape bool
	// MaxScrapeHashes bounds the info hashes of one scrape. Default 100.
	MaxScrapeHashes int
	// MaxTorrentsPerConn bounds the (info hash, peer id) pairs one
	// connection may announce. Default 1000.
	MaxTorrentsPerConn int
	// SendQueueLen is how many frames may wait for one connection before
	// it is dropped as a slow consumer. Default 256.
	SendQueueLen int
	// SendQueueBytes bounds the bytes waiting for one connection, with the
	// same consequence. Default 4 MiB, or 4 × MaxMessageSize when that is
	// more; it must be at least 2 × MaxMessageSize, so that one relayed
	// offer of the largest size allowed does not drop its target.
	SendQueueBytes int
	// PingInterval is how often the tracker pings each connection, so
	// proxies keep it open and dead peers are found. Default 30 s;
	// negative disables pings.
	PingInterval time.Duration
	// PongTimeout is how long a ping may go unanswered: a connection
	// from which nothing at all, pongs included, came for PingInterval +
	// PongTimeout is closed with 1001. Default 45 s.
	PongTimeout time.Duration
	// OfferTTL is how long a relayed offer may be answered. Default 120 s.
	OfferTTL time.Duration
	// MaxPendingOffers bounds the offers one connection has been sent and
	// not answered yet; the oldest are forgotten first. Default 256.
	MaxPendingOffers int
	// MaxInvalidPerMinute is how many invalid messages a connection may
	// send per minute before it is closed as abusive. Default 30.
	MaxInvalidPerMinute int
	// Now is the clock. Default time.Now.
	Now func() time.Time

	// Abuse limits. Zero disables each of them; the binary sets them.

	// MaxConns bounds the open connections; further upgrades are refused
	// with 503 Service Unavailable.
	MaxConns int
	// MaxConnsPerIP bounds the open connections of one client address
	// (an IPv6 client counts by its /64); further upgrades from it are
	// refused with 429 Too Many Requests.
	MaxConnsPerIP int
	// AnnouncesPerConn is how many announces and scrapes one connection
	// may send per AnnounceInterval, in bursts of up to that many (a token
	// bucket). Messages over it get the failure ReasonRateLimited; a
	// connection refused more than AnnouncesPerConn times within one
	// AnnounceInterval is closed with 1008. Answers are not counted: each
	// one answers an offer the tracker chose to send.
	AnnouncesPerConn int
	// IdleTimeout closes a connection with 1001 ("idle") when no message
	// has come from it for this long. Pongs do not count: an abandoned
	// page that still answers pings is idle.
	IdleTimeout time.Duration

	// Distributed mode and blocking stores.

	// NodeID is this Handler's node in a cluster of trackers sharing
	// Swarms: every ConnID it allocates carries it (ConnID.Node). Each node
	// of a cluster needs its own; 0 (the default) is a tracker of its own.
	NodeID uint16
	// Router carries offers and answers for connections of other nodes
	// (see Relay); the receiving node calls its Handler's Deliver. Nil
	// counts them as target_gone, as for a connection that is gone.
	Router Router
	// Workers bounds the goroutines that handle messages when Swarms may
	// block (see Blocking): at most that many messages wait on the store
	// at once, from as many connections. Default 256.
	Workers int
	// InboxLen and InboxBytes bound the messages, and their bytes, that
	// wait for a worker on one connection when Swarms may block; a client
	// that sends past either is closed with 1008 (CloseInboxFull). Default
	// InboxLen: 256, or twice AnnouncesPerConn when that is more, so a
	// client's allowed burst always fits; InboxBytes: SendQueueBytes.
	InboxLen   int
	InboxBytes int

	// Policy decides who may use the relay (nil allows everything):
	//   - Admit(TransportWS, …) is asked about every upgrade, with its
	//     Origin header and URL path, before it is accepted; an error
	//     refuses it with 403 and the error's text;
	//   - Allow(TransportWS, addr) about every announce and scrape that
	//     passed the connection's own limit (AnnouncesPerConn): a budget
	//     shared by every connection from one address; false refuses the
	//     message with the failure ReasonRateLimited;
	//   - Authorize(TransportWS, …) about every announce and answer
	//     (ActionAnnounce) before the swarm is touched, and every hash of a
	//     scrape (ActionScrape) (docs/protocol.md §8.4), with the URL path the
	//     connection was opened on. An error refuses an announce or answer
	//     with its text; a scrape reports zeros, a full scrape leaves the
	//     hash out.
	Policy bittorrent.Policy
}

func (c *Config) setDefaults() {
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
	if c.AnnounceInterval == 0 {
		c.AnnounceInterval = 120 * time.Second
	}
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = 64 << 10
	}
	if c.MaxOffers == 0 {
		c.MaxOffers = 10
	}
	if c.MaxScrapeHashes == 0 {
		c.MaxScrapeHashes = 100
	}
	if c.MaxTorrentsPerConn == 0 {
		c.MaxTorrentsPerConn = 1000
	}
	if c.SendQueueLen == 0 {
		c.SendQueueLen = 256
	}
	if c.SendQueueBytes == 0 {
		c.SendQueueBytes = max(4<<20, 4*int(c.MaxMessageSize))
	}
	if c.PingInterval == 0 {
		c.PingInterval = 30 * time.Second
	}
	if c.PongTimeout == 0 {
		c.PongTimeout = 45 * time.Second
	}
	if c.OfferTTL == 0 {
		c.OfferTTL = 120 * time.Second
	}
	if c.MaxPendingOffers == 0 {
		c.MaxPendingOffers = 256
	}
	if c.MaxInvalidPerMinute == 0 {
		c.MaxInvalidPerMinute = 30
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Workers == 0 {
		c.Workers = 256
	}
	if c.InboxLen == 0 {
		c.InboxLen = max(256, 2*c.AnnouncesPerConn)
	}
	if c.InboxBytes == 0 {
		c.InboxBytes = c.SendQueueBytes
	}
}

// ErrConfig is wrapped by every error New returns for a bad Config.
var ErrConfig = errors.New("signaling: invalid config")

func (c *Config) validate() error {
	switch {
	case c.Swarms == nil:
		return fmt.Errorf("%w: Swarms is required", ErrConfig)
	case c.AllowFullScrape && !implementsFullScraper(c.Swarms):
		return fmt.Errorf("%w: AllowFullScrape needs Swarms that implement bittorrent.FullScraper", ErrConfig)
	case c.AnnounceInterval < time.Second:
		return fmt.Errorf("%w: AnnounceInterval must be at least 1s", ErrConfig)
	case c.MaxMessageSize < 1024:
		return fmt.Errorf("%w: MaxMessageSize must be at least 1024", ErrConfig)
	case c.MaxOffers < 0, c.MaxScrapeHashes < 0, c.MaxTorrentsPerConn < 0,
		c.SendQueueLen < 0, c.SendQueueBytes < 0, c.MaxPendingOffers < 0, c.MaxInvalidPerMinute < 0:
		return fmt.Errorf("%w: limits must not be negative", ErrConfig)
	case int64(c.SendQueueBytes) < 2*c.MaxMessageSize:
		return fmt.Errorf("%w: SendQueueBytes must be at least 2 × MaxMessageSize", ErrConfig)
	case c.PongTimeout <= 0, c.OfferTTL <= 0:
		return fmt.Errorf("%w: durations must be positive", ErrConfig)
	case c.MaxConns < 0, c.MaxConnsPerIP < 0, c.AnnouncesPerConn < 0, c.IdleTimeout < 0:
		return fmt.Errorf("%w: abuse limits must not be negative", ErrConfig)
	case c.Workers < 0, c.InboxLen < 0, c.InboxBytes < 0:
		return fmt.Errorf("%w: Workers and the inbox bounds must not be negative", ErrConfig)
	case int64(c.InboxBytes) < c.MaxMessageSize:
		return fmt.Errorf("%w: InboxBytes must be at least MaxMessageSize", ErrConfig)
	}
	return nil
}

func implementsFullScraper(s Swarms) bool {
	_, ok := s.(bittorrent.FullScraper)
	return ok
}
