package signaling

import "github.com/swarmbridge/swarmbridge/signaling/internal/engine"

// CloseReason says why a connection ended. It is used in logs and as a
// metric label, so its String values are stable. The WebSocket engine
// under the relay chooses most of them; the relay itself closes for abuse
// and rate limits. (The values are the engine's, in the same order:
// TestCloseReasonsAreTheEngines holds them together.)
type CloseReason uint8

const (
	// CloseClient: the client closed the connection (close frame or EOF).
	CloseClient CloseReason = iota + 1
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
	// CloseInboxFull: the client sent messages faster than the swarm store
	// took them, until more than Config.InboxLen or Config.InboxBytes
	// waited (1008). Only when Swarms may block (see Blocking).
	CloseInboxFull
	// CloseInvalidUTF8: a text message was not valid UTF-8 (1007, as
	// RFC 6455 §8.1 requires).
	CloseInvalidUTF8
)

// String returns the reason's label.
func (r CloseReason) String() string { return engine.CloseReason(r).String() }

// CloseReasons lists every reason, for pre-registering metric labels.
func CloseReasons() []CloseReason {
	var rs []CloseReason
	for _, r := range engine.CloseReasons() {
		rs = append(rs, CloseReason(r))
	}
	return rs
}
