package signaling

import (
	"context"
	"encoding/hex"
)

// InfoHash is the 20-byte id of a swarm.
type InfoHash [20]byte

// String returns lowercase hex.
func (h InfoHash) String() string { return hex.EncodeToString(h[:]) }

// PeerID is a client-chosen 20-byte peer id.
type PeerID [20]byte

// String returns lowercase hex.
func (p PeerID) String() string { return hex.EncodeToString(p[:]) }

// OfferID is the 20-byte id an offering client gives one WebRTC offer.
type OfferID [20]byte

// String returns lowercase hex.
func (o OfferID) String() string { return hex.EncodeToString(o[:]) }

// ConnID identifies one signaling connection. The Handler allocates them;
// zero is never used. A Swarms implementation stores them opaquely.
type ConnID uint64

// Event is an announce event as the relay hands it to Swarms.
type Event uint8

const (
	// EventUpdate is a regular announce: no event, "update", "paused" or
	// an event this tracker does not know.
	EventUpdate Event = iota
	EventStarted
	EventCompleted
	EventStopped
)

// LeftUnknown is Announce.Left when the client sent "left": null or no left.
const LeftUnknown int64 = -1

// Announce is what the relay asks Swarms to record for one WebRTC peer.
type Announce struct {
	InfoHash InfoHash
	PeerID   PeerID
	// Conn is the connection the peer announced on; the entry is bound to it.
	Conn  ConnID
	Event Event
	Left  int64
	// Targets is how many other WebRTC peers to pick as offer targets.
	Targets int
}

// Target is a WebRTC peer chosen to receive an offer.
type Target struct {
	PeerID PeerID
	Conn   ConnID
}

// Counts are one swarm's numbers over every transport.
type Counts struct {
	Complete   int
	Incomplete int
	Downloaded int
}

// Swarms is the swarm store the relay consumes. Implementations must be safe
// for concurrent use and must not hold locks when they return: the relay
// sends to the returned targets afterwards.
type Swarms interface {
	// Announce applies a.Event to the entry of (a.InfoHash, a.PeerID),
	// binding it to a.Conn ("last announcer wins"; a stopped from another
	// connection is ignored), and appends up to a.Targets distinct WebRTC
	// peers of the swarm other than a.PeerID, chosen at random, to targets.
	// Counts are taken after the event took effect.
	Announce(ctx context.Context, a *Announce, targets []Target) (Counts, []Target, error)
	// Leave removes the entry of (ih, peer) if it is still bound to conn.
	Leave(ctx context.Context, ih InfoHash, peer PeerID, conn ConnID) error
	// Scrape appends the counts of each hash, in order, zeros for unknown
	// swarms, to dst.
	Scrape(ctx context.Context, hashes []InfoHash, dst []Counts) ([]Counts, error)
}

// FullScraper is implemented by Swarms that can list every swarm. The relay
// answers a scrape without info_hash with it when Config.AllowFullScrape is
// set. fn is called once per swarm until it returns false.
type FullScraper interface {
	ScrapeAll(ctx context.Context, fn func(InfoHash, Counts) bool) error
}
