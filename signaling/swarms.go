package signaling

import (
	"context"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// ConnID identifies one signaling connection. The Handler allocates them;
// zero is never used. A Swarms implementation stores them opaquely.
//
// The top 16 bits are the node that holds the connection (Config.NodeID,
// 0 on a tracker of its own), the low 48 bits a sequence number of that
// node, so ids from the nodes of a cluster never collide, and any node can
// tell where an offer or answer for a connection must go.
type ConnID uint64

// connSeqBits is how many low bits of a ConnID count the node's
// connections.
const connSeqBits = 48

// Node returns the node that holds the connection.
func (id ConnID) Node() uint16 { return uint16(id >> connSeqBits) }

// connIDOf is the ConnID of the engine's connection seq on node.
func connIDOf(node uint16, seq uint64) ConnID {
	return ConnID(uint64(node)<<connSeqBits | seq&(1<<connSeqBits-1))
}

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

// Blocking is an optional interface of Swarms. A Swarms whose calls wait on
// the network (a store shared by several nodes) says so with MayBlock; the
// Handler then handles messages on worker goroutines instead of the
// goroutine that read them (see Concurrency in the package doc). Without
// it, Swarms is taken to answer at memory speed.
type Blocking interface {
	MayBlock() bool
}

// mayBlock reports whether s says its calls may wait on the network.
func mayBlock(s Swarms) bool {
	b, ok := s.(Blocking)
	return ok && b.MayBlock()
}

// Swarms is the swarm store the relay consumes. Implementations must be safe
// for concurrent use and must not hold locks when they return: the relay
// sends to the returned targets afterwards. Every call gets a context that
// ends when the connection ends (or, for Leave, after a bound); one that
// says it may block (Blocking) is called from up to Config.Workers
// goroutines at once, and must give up when the context ends.
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
