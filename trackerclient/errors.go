package trackerclient

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

var (
	// ErrMalformed is wrapped by every error about a reply that could not
	// be read: bad bencode, missing or mistyped fields, short packets.
	ErrMalformed = errors.New("malformed tracker reply")
	// ErrTimeout is wrapped when a UDP request got no usable reply within
	// its retransmission schedule, or a UDP or WebSocket request none
	// before its context's deadline (the error then also wraps
	// context.DeadlineExceeded).
	ErrTimeout = errors.New("no reply from tracker")
	// ErrClosed is returned by requests on a closed client.
	ErrClosed = errors.New("tracker client closed")
	// ErrUnsupportedScheme is wrapped when an announce URL's scheme is not
	// http, https, udp, ws or wss.
	ErrUnsupportedScheme = errors.New("unsupported tracker URL scheme")
	// ErrNoScrapeURL is wrapped when an HTTP announce URL has no scrape
	// URL: BEP 48 derives one only when the last path segment starts with
	// "announce".
	ErrNoScrapeURL = errors.New("no scrape URL for this announce URL")
)

// FailureError is a tracker's refusal: the "failure reason" of an HTTP
// or WebSocket reply, or the message of a UDP error packet (action 3).
// Match it with errors.As.
type FailureError struct {
	// Reason is the tracker's text, as sent (it is untrusted: Error
	// escapes control characters and shortens it).
	Reason string
	// RetryIn is BEP 31's "retry in" when the tracker sent a number of
	// minutes; RetryNever is set when it sent "never".
	RetryIn    time.Duration
	RetryNever bool
	// StatusCode is the HTTP status of the reply (0 over UDP and
	// WebSocket). Trackers should send failures with 200, but some use 4xx.
	StatusCode int
	// Action is a WebSocket failure's "action" ("announce" or "scrape"),
	// empty when the tracker left it out (bittorrent-tracker does for
	// messages it cannot parse) and over HTTP and UDP.
	Action string
	// InfoHash is a WebSocket failure's "info_hash" when HasInfoHash is
	// set: the torrent the refused announce or answer named.
	InfoHash    bittorrent.InfoHash
	HasInfoHash bool
}

func (e *FailureError) Error() string {
	s := "tracker failure: " + printable(e.Reason, 300)
	switch {
	case e.RetryNever:
		s += " (retry: never)"
	case e.RetryIn > 0:
		s += fmt.Sprintf(" (retry in %s)", e.RetryIn)
	}
	return s
}

// StatusError is an HTTP reply with a status other than 200 whose body is
// not a bencoded failure, or a WebSocket upgrade the tracker refused.
type StatusError struct {
	StatusCode int
	// Body is the start of the body, for the error message.
	Body string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("tracker answered HTTP %d", e.StatusCode)
	if e.Body != "" {
		s += ": " + printable(e.Body, 120)
	}
	return s
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// printable makes untrusted text safe for one log line: invalid UTF-8 and
// control characters are escaped and the result is cut at max runes.
func printable(s string, max int) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		if n == max {
			b.WriteString("…")
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !unicode.IsPrint(r) && r != ' ':
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
		i += size
		n++
	}
	return b.String()
}

// CloseError is the close frame a WebSocket tracker ended the connection
// with: every request waiting then, and every later one on the same
// WSClient, fails with it. Swarmbridge closes with 1008 (policy
// violation: too many invalid messages, rate limit exceeded, send queue
// full), 1009 (message too big) and 1001 (going away: idle, ping
// timeout, shutting down); docs/protocol.md §8.5 lists the reasons.
type CloseError struct {
	// Code is the close status code, 0 when the frame carried none.
	Code uint16
	// Reason is the tracker's text (untrusted; Error escapes it).
	Reason string
}

func (e *CloseError) Error() string {
	s := "the tracker closed the WebSocket"
	switch {
	case e.Code == 0:
		s += " without a status code"
	default:
		s += fmt.Sprintf(" with %d", e.Code)
		if n := closeCodeName(e.Code); n != "" {
			s += " (" + n + ")"
		}
	}
	if e.Reason != "" {
		s += ": " + printable(e.Reason, 123)
	}
	return s
}

func closeCodeName(code uint16) string {
	switch code {
	case 1000:
		return "normal closure"
	case 1001:
		return "going away"
	case 1002:
		return "protocol error"
	case 1003:
		return "unsupported data"
	case 1007:
		return "invalid payload data"
	case 1008:
		return "policy violation"
	case 1009:
		return "message too big"
	case 1011:
		return "internal error"
	}
	return ""
}
