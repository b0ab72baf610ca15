package wire

import (
	"encoding/hex"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// This file holds the types shared by the decoder (decode.go) and the
// encoders (encode.go) of the WebTorrent signaling messages
// (docs/protocol.md §4, §5).

// OfferID is the 20-byte id an offering client gives one WebRTC offer.
type OfferID [20]byte

// String returns lowercase hex.
func (o OfferID) String() string { return hex.EncodeToString(o[:]) }

// Request is one decoded client message. Decoder.Decode resets and fills
// it. Its slices are reused between calls, and EventName and the SDP fields
// alias the decoded input: they are valid only until that buffer is reused.
type Request struct {
	Action bittorrent.Action

	// HasInfoHash is set when info_hash was a single valid binary string
	// (docs/protocol.md §3.3). For a scrape with an array of hashes it is
	// false; the hashes are in ScrapeHashes.
	HasInfoHash bool
	InfoHash    bittorrent.InfoHash

	HasPeerID bool
	PeerID    bittorrent.PeerID

	// HasToPeerID and HasOfferID report a valid top-level to_peer_id and
	// offer_id. Both are required when the message carries an answer.
	HasToPeerID bool
	ToPeerID    bittorrent.PeerID
	HasOfferID  bool
	OfferID     OfferID

	// Event is normalised: absent, null, "update", "paused" and unknown
	// events are EventUpdate (docs/protocol.md §6.2).
	Event bittorrent.Event
	// EventName is the event as sent: the text between the quotes of a
	// string (escapes not decoded), or the raw JSON text of a non-string
	// value; empty when absent or null. It aliases the input.
	EventName []byte
	// EventKnown is false when an event was present but is not one of
	// started, completed, stopped, update or paused.
	EventKnown bool

	// Left is LeftUnknown when absent, null or unparsable. Numbers are
	// floored and clamped into [0, MaxInt64]; negative values are
	// LeftUnknown. Numeric strings are accepted leniently
	// (docs/protocol.md §4.2).
	Left int64
	// NumWant is -1 when absent, null or unparsable; otherwise parsed like
	// Left. It is informational only: fan-out follows len(Offers)
	// (docs/protocol.md §4.2, §7.1).
	NumWant int

	// Offers are the well-formed elements of "offers" (a valid offer_id and
	// an "offer" object with a string "sdp"), in order, at most
	// Decoder.MaxOffers of them. Empty when the message has an answer.
	Offers []Offer
	// OffersSeen is the number of elements of the "offers" array, including
	// malformed and surplus ones.
	OffersSeen int

	// HasAnswer is set when "answer" is an object with a string "sdp" (and a
	// string "type" if it has one). A message with both an answer and offers
	// is treated as an answer: clients never combine them
	// (docs/protocol.md §4.3).
	HasAnswer bool
	Answer    SDP

	// ScrapeAll is set for a scrape without an info_hash key (full scrape).
	ScrapeAll bool
	// ScrapeHashes are a scrape's hashes in request order, duplicates kept:
	// one element for a single string, none for []. Empty for other actions.
	ScrapeHashes []bittorrent.InfoHash
}

// Offer is one well-formed element of an announce's "offers".
type Offer struct {
	ID  OfferID
	SDP SDP
}

// SDP is a session description as raw JSON text, ready to be copied
// verbatim into an outgoing message. The tracker never parses SDP
// (docs/protocol.md §4.2, §5.3), so it keeps the client's own escaping.
type SDP struct {
	// Type is the raw JSON string token of "type", quotes included, e.g.
	// `"offer"`; nil when the key was absent or null.
	Type []byte
	// SDP is the raw JSON string token of "sdp", quotes included, escaped
	// exactly as the client sent it. Decode guarantees it is a valid JSON
	// string token of valid UTF-8.
	SDP []byte
}

// DecodeError is a client-visible decoding failure. Decode returns it as a
// *DecodeError; the values are shared and must not be modified.
type DecodeError struct {
	// Reason is the text for the "failure reason" of the reply.
	Reason string
	// Code is the kind of failure, for metrics.
	Code bittorrent.FailureCode
}

func (e *DecodeError) Error() string { return e.Reason }

// The decoding failures. Shared values so that failing costs no allocation.
var (
	// Syntax: the message is not one well-formed JSON object.
	codecErrInvalidJSON = &DecodeError{"invalid JSON", bittorrent.FailureMalformed}
	codecErrNotObject   = &DecodeError{"message is not a JSON object", bittorrent.FailureMalformed}
	codecErrTooDeep     = &DecodeError{"message nested too deeply", bittorrent.FailureMalformed}
	codecErrBadUTF8     = &DecodeError{"invalid UTF-8 in message", bittorrent.FailureMalformed}

	// Content: well-formed JSON with missing or invalid fields.
	codecErrUnknownAction = &DecodeError{"unknown action", bittorrent.FailureUnknownAction}
	codecErrInfoHash      = &DecodeError{"invalid info_hash", bittorrent.FailureInvalidInfoHash}
	codecErrPeerID        = &DecodeError{"invalid peer_id", bittorrent.FailureInvalidPeerID}
	codecErrToPeerID      = &DecodeError{"invalid `to_peer_id` (required with `answer`)", bittorrent.FailureInvalidAnswer}
	codecErrOfferID       = &DecodeError{"invalid offer_id", bittorrent.FailureInvalidAnswer}
	codecErrAnswer        = &DecodeError{"invalid answer", bittorrent.FailureInvalidAnswer}
	codecErrTooManyHashes = &DecodeError{"too many info_hash values in scrape", bittorrent.FailureTooManyHashes}
)
