package engine

import "github.com/swarmbridge/swarmbridge/signaling/wsproto"

// CloseReason says why a connection ended. The relay reports it (package
// signaling mirrors these values as its public CloseReason), so its String
// values are stable metric labels.
type CloseReason uint8

const (
	closeReasonNone CloseReason = iota
	// The reasons, each documented where the relay publishes it
	// (signaling.CloseReason). The engine chooses them all but CloseAbuse
	// CloseRateLimited and CloseInboxFull, which only the relay decides.
	CloseClient
	CloseReadError
	CloseWriteError
	CloseMessageTooBig
	CloseSlowConsumer
	ClosePingTimeout
	CloseAbuse
	CloseShutdown
	CloseRateLimited
	CloseIdle
	CloseInboxFull
	CloseInvalidUTF8

	numCloseReasons
)

var closeReasonNames = [numCloseReasons]string{
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
	CloseInboxFull:     "inbox_full",
	CloseInvalidUTF8:   "invalid_utf8",
}

// String returns the reason's label.
func (r CloseReason) String() string {
	if r < numCloseReasons {
		return closeReasonNames[r]
	}
	return "unknown"
}

// CloseReasons lists every reason a connection can end with.
func CloseReasons() []CloseReason {
	rs := make([]CloseReason, 0, numCloseReasons-1)
	for r := CloseClient; r < numCloseReasons; r++ {
		rs = append(rs, r)
	}
	return rs
}

// status is the close code the tracker sends for a reason it initiates,
// and the short text that goes with it (at most 123 bytes).
func (r CloseReason) status() (uint16, string) {
	switch r {
	case CloseSlowConsumer:
		return wsproto.ClosePolicyViolation, "send queue full"
	case CloseAbuse:
		return wsproto.ClosePolicyViolation, "too many invalid messages"
	case ClosePingTimeout:
		return wsproto.CloseGoingAway, "ping timeout"
	case CloseShutdown:
		return wsproto.CloseGoingAway, "tracker shutting down"
	case CloseRateLimited:
		return wsproto.ClosePolicyViolation, "rate limit exceeded"
	case CloseIdle:
		return wsproto.CloseGoingAway, "idle"
	case CloseInboxFull:
		return wsproto.ClosePolicyViolation, "too many messages waiting"
	case CloseMessageTooBig:
		return wsproto.CloseMessageTooBig, "message too big"
	case CloseInvalidUTF8:
		return wsproto.CloseInvalidPayload, "invalid UTF-8"
	}
	return wsproto.CloseInternalError, ""
}
