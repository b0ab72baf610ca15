package trackerclient

import (
	"encoding/hex"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// OfferID is the 20-byte id an offering peer gives one WebRTC offer; the
// answer to the offer carries it back.
type OfferID [20]byte

// String returns lowercase hex, the form for logs.
func (o OfferID) String() string { return hex.EncodeToString(o[:]) }

// Offer is one WebRTC offer of a WebSocket announce.
type Offer struct {
	ID OfferID
	// SDP is the session description, with every ICE candidate in it:
	// a tracker cannot relay candidates found later (no trickle ICE).
	SDP string
}

// Answer is a WebRTC answer to a relayed offer, sent back through the
// tracker to the offering peer.
type Answer struct {
	InfoHash bittorrent.InfoHash
	// PeerID is the answering peer (the one the offer was relayed to).
	PeerID bittorrent.PeerID
	// ToPeerID is the offering peer: the PeerID of the offer's Message.
	ToPeerID bittorrent.PeerID
	// OfferID is the OfferID of the offer's Message.
	OfferID OfferID
	// SDP is the answer's session description, complete as for an Offer.
	SDP string
}

// MessageKind says what a Message is.
type MessageKind uint8

const (
	// MessageOffer is a WebRTC offer another peer announced, relayed to
	// this connection.
	MessageOffer MessageKind = iota + 1
	// MessageAnswer is another peer's answer to one of this connection's
	// offers.
	MessageAnswer
	// MessageFailure is a failure no request was waiting for: most often
	// the tracker refusing an Answer, which gets no reply when it is
	// accepted.
	MessageFailure
)

// String returns "offer", "answer" or "failure".
func (k MessageKind) String() string {
	switch k {
	case MessageOffer:
		return "offer"
	case MessageAnswer:
		return "answer"
	case MessageFailure:
		return "failure"
	}
	return "unknown"
}

// Message is something a WebSocket tracker sent that no request waits
// for: a relayed offer or answer, or an unclaimed failure.
type Message struct {
	Kind MessageKind
	// InfoHash is the torrent of the offer or answer (and of the failure,
	// when Failure.HasInfoHash).
	InfoHash bittorrent.InfoHash
	// PeerID is the peer that sent the offer or answer: the offering peer
	// of an offer (answer to it with Answer.ToPeerID set to this), the
	// answering peer of an answer.
	PeerID  bittorrent.PeerID
	OfferID OfferID
	// SDPType is the session description's "type" as the peer sent it
	// ("offer", "answer"; empty when it sent none) and SDP its text.
	SDPType string
	SDP     string
	// Failure is set for MessageFailure.
	Failure *FailureError
}

// WSStats counts what a WSClient's reader could not hand to anyone.
type WSStats struct {
	// MessagesDropped: offers, answers and unclaimed failures dropped
	// because the Messages channel was full.
	MessagesDropped int64
	// Malformed: messages that could not be read and that no request was
	// waiting for, relayed offers and answers with bad ids among them.
	Malformed int64
	// Unmatched: well-formed announce or scrape replies that no request
	// was waiting for.
	Unmatched int64
}
