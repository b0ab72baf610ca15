package trackerclient

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/swarmbridge/swarmbridge/signaling/wsproto"
)

// The WebSocket itself (handshake, RFC 6455 framing, pings, close frames)
// is a wsproto.Conn; this file turns what it reports into this package's
// errors.

// controlWriteTimeout bounds the pongs and close frames the client sends
// on its own: a tracker that does not read cannot stall the reader.
const controlWriteTimeout = 5 * time.Second

// wsReadBuffer is the read buffer: replies that fit are read in place.
const wsReadBuffer = 8 << 10

// dialWS opens a ws:// or wss:// connection; ctx bounds the TCP, TLS and
// WebSocket handshakes. A refusal (403, 429, 503, …) is a *StatusError
// with the start of its body; a 101 reply that breaks RFC 6455 is
// ErrMalformed.
func dialWS(ctx context.Context, u *url.URL, o wsproto.DialOptions) (*wsproto.Conn, error) {
	conn, err := wsproto.Dial(ctx, u, o)
	var se *wsproto.StatusError
	switch {
	case err == nil:
		return conn, nil
	case errors.As(err, &se):
		return nil, &StatusError{StatusCode: se.StatusCode, Body: strings.TrimSpace(se.Body)}
	case errors.Is(err, wsproto.ErrBadHandshakeReply):
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil, err
}

// readWS returns the next message of conn and whether it came as binary.
// The tracker's close frame is a *CloseError; a message over max bytes is
// ErrMalformed (the connection is closed with 1009); any other violation
// of RFC 6455 is the *wsproto.ProtocolError it was closed with.
func readWS(conn *wsproto.Conn, max int64) (msg []byte, binary bool, err error) {
	op, msg, err := conn.ReadMessageOp()
	var ce *wsproto.CloseError
	switch {
	case err == nil:
		return msg, op == wsproto.OpBinary, nil
	case errors.As(err, &ce):
		return nil, false, &CloseError{Code: ce.Code, Reason: ce.Reason}
	case errors.Is(err, wsproto.ErrTooBig):
		return nil, false, fmt.Errorf("%w: a message of more than %d bytes (%w)", ErrMalformed, max, err)
	}
	return nil, false, err
}
