package trackerclient

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// Client announces to and scrapes one tracker. Every implementation is
// safe for concurrent use.
type Client interface {
	// Announce sends one announce and returns the tracker's reply.
	Announce(ctx context.Context, req AnnounceRequest) (*AnnounceResponse, error)
	// Scrape asks for the counts of the given swarms.
	Scrape(ctx context.Context, hashes []bittorrent.InfoHash) (*ScrapeResponse, error)
	// Close releases the client's sockets and goroutines. Later requests
	// fail with ErrClosed, and so do UDP and WebSocket requests in flight.
	Close() error
}

// Options tune a client; the zero value is ready to use.
type Options struct {
	// HTTPClient sends HTTP requests. When nil the client makes its own
	// (a clone of http.DefaultTransport) and closes its idle connections
	// on Close.
	HTTPClient *http.Client
	// TLSConfig configures TLS for wss:// and, when HTTPClient is nil,
	// https:// (a private CA in RootCAs, InsecureSkipVerify for a test
	// tracker). Nil uses the system roots. ServerName defaults to the
	// URL's host.
	TLSConfig *tls.Config
	// UserAgent is sent with HTTP requests and the WebSocket handshake
	// (default "swarmbridge-trackerclient").
	UserAgent string
	// Header holds more headers for HTTP requests and the WebSocket
	// handshake, such as the Origin a tracker that allows only some web
	// pages wants.
	Header http.Header
	// MaxResponseSize bounds an HTTP body or one WebSocket message
	// (default 1 MiB); a longer one is an error (over WebSocket the
	// connection is closed with 1009).
	MaxResponseSize int64
	// Network is "udp" (default: whatever the host resolves to first),
	// "udp4" or "udp6".
	Network string
	// Retransmit is the UDP schedule; the zero value means BEP15Schedule.
	Retransmit Schedule
	// MessageBuffer is how many relayed offers, answers and unclaimed
	// failures a WSClient holds for Messages before it drops them
	// (default DefaultMessageBuffer).
	MessageBuffer int
	// Trace, when set, is called with every WebSocket message a WSClient
	// sends (out is true) or receives, before it is handled: for logs and
	// debugging. It runs on the client's goroutines, with the write lock
	// held for sent messages, so it must return quickly; msg is valid only
	// during the call.
	Trace func(out bool, msg []byte)
}

// Schedule is a UDP retransmission schedule: the first attempt waits
// First for a reply, each later one twice as long as the one before, for
// Attempts attempts in all. A context deadline cuts it short.
type Schedule struct {
	First    time.Duration
	Attempts int
}

// wait is how long attempt n (from 1) waits for its reply: First, doubled
// for each attempt before it, as BEP 15 does.
func (s Schedule) wait(n int) time.Duration { return s.First << (n - 1) }

// BEP15Schedule is BEP 15's schedule: 15·2^n seconds for n = 0…8, which
// gives up after more than an hour. Interactive tools want something like
// Schedule{First: time.Second, Attempts: 3}.
var BEP15Schedule = Schedule{First: 15 * time.Second, Attempts: 9}

// DefaultMaxResponseSize is the default bound on an HTTP reply body and a
// WebSocket message.
const DefaultMaxResponseSize = 1 << 20

// defaultUserAgent is sent when Options.UserAgent is empty.
const defaultUserAgent = "swarmbridge-trackerclient"

// New returns the client for announceURL's scheme: http and https get an
// HTTPClient, udp a UDPClient, ws and wss (WebTorrent) a WSClient; any
// other scheme is an error wrapping ErrUnsupportedScheme.
func New(announceURL string, opts Options) (Client, error) {
	u, err := url.Parse(announceURL)
	if err != nil {
		return nil, fmt.Errorf("tracker URL: %w", err)
	}
	switch u.Scheme {
	case "http", "https":
		return NewHTTP(announceURL, opts)
	case "udp":
		return NewUDP(announceURL, opts)
	case "ws", "wss":
		return NewWS(announceURL, opts)
	default:
		return nil, fmt.Errorf("%w: %q (want http, https, udp, ws or wss)", ErrUnsupportedScheme, u.Scheme)
	}
}
