package wsproto

import (
	"errors"
	"fmt"
)

// The errors of a client Conn.
var (
	// ErrClosed is returned by ReadMessage when the server closed the
	// connection with a close frame (after answering it). The error
	// returned is a *CloseError, which matches ErrClosed.
	ErrClosed = errors.New("wsproto: connection closed by the server")

	// ErrCloseSent refuses a write after a close frame was sent (by the
	// caller, or by the Conn answering the server's or failing a bad
	// frame): RFC 6455 §5.5.1 allows no frame after it. The reader learns
	// why the connection ends.
	ErrCloseSent = errors.New("wsproto: the connection is closing")

	// ErrBadHandshakeReply is wrapped when the server's 101 reply breaks
	// RFC 6455 §4.1: a wrong Upgrade or Sec-WebSocket-Accept, or an
	// extension or subprotocol the client did not ask for.
	ErrBadHandshakeReply = errors.New("the reply breaks RFC 6455")
)

// CloseError is the close frame the server ended the connection with. It
// matches ErrClosed (errors.Is), for callers that need only know that
// the server closed.
type CloseError struct {
	// Code is the close status code, 0 when the frame carried none.
	Code uint16
	// Reason is the server's text: valid UTF-8, but untrusted.
	Reason string
}

func (e *CloseError) Error() string {
	s := ErrClosed.Error()
	if e.Code != 0 {
		s += fmt.Sprintf(" with %d", e.Code)
	}
	if e.Reason != "" {
		s += fmt.Sprintf(" %q", e.Reason)
	}
	return s
}

// Is makes errors.Is(err, ErrClosed) true for a *CloseError.
func (e *CloseError) Is(target error) bool { return target == ErrClosed }

// StatusError is an opening handshake the server refused: a reply other
// than 101 Switching Protocols.
type StatusError struct {
	StatusCode int
	// Body is the start of the reply's body (at most 200 bytes), untrusted:
	// Error leaves it out.
	Body string
}

func (e *StatusError) Error() string { return fmt.Sprintf("HTTP %d", e.StatusCode) }
