package wsproto

// ProtocolError is a peer's violation of RFC 6455. The connection is
// failed with a close frame of Code and Text.
type ProtocolError struct {
	Code uint16
	Text string
}

func (e *ProtocolError) Error() string { return "websocket: " + e.Text }

// The protocol violations, shared so that failing costs no allocation.
var (
	errRSV               = &ProtocolError{CloseProtocolError, "reserved bits set"}
	errOpcode            = &ProtocolError{CloseProtocolError, "unknown opcode"}
	errUnmasked          = &ProtocolError{CloseProtocolError, "client frame not masked"}
	errControlFragmented = &ProtocolError{CloseProtocolError, "fragmented control frame"}
	errControlTooLong    = &ProtocolError{CloseProtocolError, "control frame too long"}
	errLength            = &ProtocolError{CloseProtocolError, "invalid frame length"}
	errContinuation      = &ProtocolError{CloseProtocolError, "continuation frame without a message"}
	errNotContinuation   = &ProtocolError{CloseProtocolError, "new message inside a fragmented one"}
	errCloseTooShort     = &ProtocolError{CloseProtocolError, "close frame payload of one byte"}
	errCloseCode         = &ProtocolError{CloseProtocolError, "invalid close code"}
	errCloseUTF8         = &ProtocolError{CloseInvalidPayload, "close reason not UTF-8"}
	// Too many frames in one message is no violation of RFC 6455 but of
	// the reader's policy (MaxFragments), as the ws npm package also
	// closes it: 1008, not 1009, since the message need not be big.
	errTooManyFragments = &ProtocolError{ClosePolicyViolation, "too many fragments"}

	// ErrTooBig is a message longer than the reader's limit (1009).
	ErrTooBig = &ProtocolError{CloseMessageTooBig, "message too big"}
)

// errMaskedServer: a client fails a masked frame from the server (§5.1).
var errMaskedServer = &ProtocolError{CloseProtocolError, "masked frame from the server"}
