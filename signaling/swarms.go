package signaling

import (
	"context"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// ConnID identifies one signaling connection. The Handler allocates them;
// zero is never used. A Swarms implementation stores them opaquely.
type ConnID uint64

// Announce is what the relay asks Swarms to record for one WebRTC peer.
type Announce struct {
	InfoHash bittorrent.InfoHash
	PeerID   bittorrent.PeerID
	// Conn is the connection the peer announced on; the entry is bound to it.
	Conn  ConnID
	Event bittorrent.Event
	Left  int64
	// Targets is how many other WebRTC peers to pick as offer targets.
	Targets int
}

// Target is a WebRTC peer chosen to receive an offer.
type Target struct {
	PeerID bittorrent.PeerID
	Conn   ConnID
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
	Announce(ctx context.Context, a *Announce, targets []Target) (bittorrent.Counts, []Target, error)
	// Leave removes the entry of (ih, peer) if it is still bound to conn.
	Leave(ctx context.Context, ih bittorrent.InfoHash, peer bittorrent.PeerID, conn ConnID) error
	// Scrape appends the counts of each hash, in order, zeros for unknown
	// swarms, to dst.
	Scrape(ctx context.Context, hashes []bittorrent.InfoHash, dst []bittorrent.Counts) ([]bittorrent.Counts, error)
}
