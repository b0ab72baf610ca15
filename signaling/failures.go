package signaling

import (
	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling/internal/engine"
	"github.com/swarmbridge/swarmbridge/signaling/wire"
)

// failure is a failure reply: its kind, for the Observer, and the text the
// client reads.
type failure struct {
	code   bittorrent.FailureCode
	reason string
}

// The failures the relay itself sends (the decoder has its own, with
// their codes: wire.DecodeError).
var (
	failRateLimited     = failure{bittorrent.FailureRateLimited, bittorrent.ReasonRateLimited}
	failNoInfoHash      = failure{bittorrent.FailureInvalidInfoHash, "invalid info_hash"}
	failNoPeerID        = failure{bittorrent.FailureInvalidPeerID, "invalid peer_id"}
	failTooManyTorrents = failure{bittorrent.FailureTooManyTorrents, "too many torrents on one connection"}
	failNoOffer         = failure{bittorrent.FailureNoOffer, "could not find the offer for this answer; it may have expired"}
	failFullScrape      = failure{bittorrent.FailureFullScrapeRefused, "full scrape is not allowed"}
	failFullScrapeSize  = failure{bittorrent.FailureFullScrapeTooLarge, "too many torrents for a full scrape over WebSocket; scrape over HTTP instead"}
	failUnavailable     = failure{bittorrent.FailureUnavailable, "tracker temporarily unavailable, try again later"}
	failInvalid         = failure{bittorrent.FailureMalformed, "invalid message"}
)

// denied is the failure for what Config.Policy refused: its error's
// text, for the client.
func denied(err error) failure { return failure{bittorrent.FailureDenied, err.Error()} }

// fail sends a failure reply. It carries action and, when known, info_hash:
// clients drop failures without them.
func (s *session) fail(action bittorrent.Action, ih *bittorrent.InfoHash, f failure) {
	s.h.obs.Failure(f.code)
	b := engine.NewFrame()
	*b = wire.AppendFailure(*b, action, ih, f.reason)
	s.deliver(s, b)
}

// recordDrop is where every offer and answer the relay does not deliver
// is counted, with why; nothing else calls Observer.Dropped. (Replies to a
// client's own messages are only refused when its connection is ending,
// which ConnClosed counts.) to is the connection the frame was for, 0 when
// there was none.
func (s *session) recordDrop(reason DropReason, what string, to ConnID) {
	s.h.recordDrop(s.id, reason, what, to)
}

// recordDrop counts and logs (at debug level) a drop on behalf of the
// connection from, 0 for relays from other nodes.
func (h *Handler) recordDrop(from ConnID, reason DropReason, what string, to ConnID) {
	h.obs.Dropped(reason)
	// Per message, so only at debug level, which costs nothing when off.
	h.log.Debug().Uint64("conn", uint64(from)).Uint64("to", uint64(to)).
		Str("what", what).Str("reason", reason.String()).Msg("not relayed")
}

// dropReason says why Enqueue did not queue a frame.
func dropReason(o engine.Outcome) DropReason {
	if o == engine.DropFull {
		return DropQueueFull
	}
	return DropTargetGone
}
