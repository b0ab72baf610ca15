package signaling

// CloseReason says why a connection ended. It is used in logs and as a
// metric label, so its String values are stable.
type CloseReason uint8

const (
	closeReasonNone CloseReason = iota
	// CloseClient: the client closed the connection (close frame or EOF).
	CloseClient
	// CloseReadError: reading failed (reset, broken frame, protocol error).
	CloseReadError
	// CloseWriteError: writing to the client failed.
	CloseWriteError
	// CloseMessageTooBig: a message exceeded Config.MaxMessageSize (1009).
	CloseMessageTooBig
	// CloseSlowConsumer: the send queue was full (1008).
	CloseSlowConsumer
	// ClosePingTimeout: no pong came back in time (1001).
	ClosePingTimeout
	// CloseAbuse: too many invalid messages (1008).
	CloseAbuse
	// CloseShutdown: the tracker is shutting down (1001).
	CloseShutdown
	// CloseRateLimited: the client kept sending far over
	// Config.AnnouncesPerConn (1008).
	CloseRateLimited
	// CloseIdle: no message within Config.IdleTimeout (1001).
	CloseIdle
)

var closeReasonNames = [...]string{
	closeReasonNone:    "none",
	CloseClient:        "client",
	CloseReadError:     "read_error",
	CloseWriteError:    "write_error",
	CloseMessageTooBig: "message_too_big",
	CloseSlowConsumer:  "slow_consumer",
	ClosePingTimeout:   "ping_timeout",
	CloseAbuse:         "abuse",
	CloseShutdown:      "shutdown",
	CloseRateLimited:   "rate_limited",
	CloseIdle:          "idle",
}

// String returns the reason's label.
func (r CloseReason) String() string {
	if int(r) < len(closeReasonNames) {
		return closeReasonNames[r]
	}
	return "unknown"
}

// CloseReasons lists every reason, for pre-registering metric labels.
func CloseReasons() []CloseReason {
	rs := make([]CloseReason, 0, len(closeReasonNames)-1)
	for r := CloseClient; int(r) < len(closeReasonNames); r++ {
		rs = append(rs, r)
	}
	return rs
}

// status is the close code the tracker sends for a reason it initiates,
// and the short text that goes with it (at most 123 bytes).
func (r CloseReason) status() (uint16, string) {
	switch r {
	case CloseSlowConsumer:
		return closePolicyViolation, "send queue full"
	case CloseAbuse:
		return closePolicyViolation, "too many invalid messages"
	case ClosePingTimeout:
		return closeGoingAway, "ping timeout"
	case CloseShutdown:
		return closeGoingAway, "tracker shutting down"
	case CloseRateLimited:
		return closePolicyViolation, "rate limit exceeded"
	case CloseIdle:
		return closeGoingAway, "idle"
	case CloseMessageTooBig:
		return closeMessageTooBig, "message too big"
	}
	return closeInternalError, ""
}
