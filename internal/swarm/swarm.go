// Package swarm is the swarm model that every transport shares: WebSocket
// signaling, HTTP and UDP announces all read and write the same swarms
// through one Store.
//
// A swarm is the set of peers announcing one 20-byte info hash. Each peer is
// one entry of one Kind:
//
//   - a WebRTC peer is reachable only through the signaling connection it
//     announced on. It is keyed by its peer id and bound to that connection
//     (its Owner). Offers are relayed to it; it never has an address.
//   - a Native peer announced over HTTP or UDP and is reachable at an IP
//     address and port. It is keyed by that endpoint, as classic trackers do,
//     so one endpoint is one entry whatever peer id it sends.
//
// A hybrid client that announces over both is two entries and counts twice.
package swarm

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// Kind says how a peer is reached.
type Kind uint8

const (
	// WebRTC peers are reached by relaying offers over their signaling
	// connection.
	WebRTC Kind = iota + 1
	// Native peers are reached at their IP address and port.
	Native
)

// String names the kind for logs and metric labels.
func (k Kind) String() string {
	switch k {
	case WebRTC:
		return "webrtc"
	case Native:
		return "native"
	}
	return "unknown"
}

// Owner identifies the signaling connection a WebRTC peer is bound to.
// Zero is never a valid owner. The signaling layer allocates them; its top
// 16 bits name the tracker node that holds the connection (0 on a tracker
// of its own), which lets a store shared by several nodes stop handing
// out the peers of a node that died. Stores treat the rest as opaque.
type Owner uint64

// Node returns the tracker node that holds the owner's connection.
func (o Owner) Node() uint16 { return uint16(o >> 48) }

// Family selects native peers by address family.
type Family uint8

const (
	IPv4 Family = 1 << iota
	IPv6
	// AnyFamily selects both families.
	AnyFamily = IPv4 | IPv6
)

// FamilyOf returns the family of an (unmapped) address.
func FamilyOf(a netip.Addr) Family {
	if a.Is4() {
		return IPv4
	}
	return IPv6
}

// Peer is one swarm entry as the store hands it out.
type Peer struct {
	ID   bittorrent.PeerID
	Kind Kind
	// Addr is the endpoint of a Native peer. Transports pass it unmapped
	// (IPv4 as 4 bytes, never ::ffff:a.b.c.d) and without a zone.
	Addr netip.AddrPort
	// Owner is the connection a WebRTC peer is bound to.
	Owner Owner
}

// AnnounceRequest is one announce from one peer, already validated and
// normalised by its transport.
type AnnounceRequest struct {
	InfoHash bittorrent.InfoHash
	// Peer is the announcing peer. Its Kind decides how it is keyed (peer id
	// for WebRTC, Addr for Native) and which peers it gets back.
	Peer  Peer
	Event bittorrent.Event
	// Left is the number of bytes the peer still needs, or
	// bittorrent.LeftUnknown. Zero makes the peer a seeder, more than zero a
	// leecher; LeftUnknown keeps the stored status (a new peer with unknown
	// Left is a leecher).
	Left int64
	// TTL is how long the entry lives without another announce. It must be
	// positive.
	TTL time.Duration
	// NumWant is how many other peers to return. A WebRTC requester gets
	// WebRTC peers (offer targets); a Native requester gets Native peers.
	// Zero returns none.
	NumWant int
	// Families restricts the Native peers returned to a Native requester
	// (UDP wants its own family, HTTP wants both). Zero means AnyFamily.
	Families Family
}

// AnnounceResult is what the store answers to an announce.
type AnnounceResult struct {
	// Counts are computed after the announce took effect (a stopped peer is
	// no longer counted).
	Counts bittorrent.Counts
	// Peers are up to NumWant distinct peers chosen uniformly at random,
	// never the requester itself and never of the other kind. Announce
	// appends to the slice it is given, so callers can reuse one.
	Peers []Peer
	// Rebound is the owner a WebRTC entry was bound to before this announce
	// moved it to a new owner, or zero if it was new or stayed put.
	Rebound Owner
	// CountedDownload reports that this announce counted one download
	// (Counts.Downloaded includes it): the entry's first completed event
	// that made it a seeder. A tracker that keeps download counts beyond
	// the swarm's life (a database tally) learns of each download here,
	// exactly once, without guessing from the counts.
	CountedDownload bool
}

// Totals are tracker-wide counts.
type Totals struct {
	Swarms      int
	Seeders     int
	Leechers    int
	PeersByKind map[Kind]int
	// PeersByClient counts peers by the client family their peer id
	// names (see ClientOf); families with no peers may be absent.
	PeersByClient map[Client]int
}

// ErrInvalid is wrapped by errors about requests a Store refuses to take
// (a zero Owner, an unknown Kind, a non-positive TTL).
var ErrInvalid = errors.New("swarm: invalid request")

// Store holds every swarm. Implementations must honour this contract, which
// the conformance suite in package swarmtest checks:
//
//   - All methods are safe for concurrent use. None of them calls back into
//     the caller, and none holds a lock when it returns: callers may send
//     what they got to peers without stalling the store.
//   - Announce applies the event to the requester's entry, then counts, then
//     picks peers, as one atomic step per swarm:
//   - started, update, completed create the entry when it is missing (a
//     completed that creates a seeder counts one download);
//   - a known Left sets seeder or leecher both ways; LeftUnknown keeps it;
//   - completed marks the entry a seeder unless Left says otherwise, and
//     counts one download the first time this entry becomes one that way,
//     and reports that announce's download in CountedDownload (false on
//     every other announce);
//   - stopped removes the entry and returns no peers. A WebRTC entry is
//     removed only when the request's Owner is the one it is bound to.
//   - any other event on a WebRTC entry bound to another owner rebinds it
//     to the request's owner ("last announcer wins") and reports the old
//     owner in Rebound;
//   - every accepted announce refreshes the entry's expiry to now + TTL.
//   - Leave removes the entry of peer in one swarm, if it exists and (for a
//     WebRTC peer) is bound to peer.Owner. It reports whether it removed one.
//   - Scrape writes one Counts per requested hash, in order, zeros for
//     unknown swarms; duplicates are answered each time.
//   - An entry whose expiry has passed is not counted and not handed out,
//     even before it is swept. Swarms left empty are deleted.
//   - Errors are returned only for invalid requests (wrapping ErrInvalid) or
//     when the store itself fails (a remote store that cannot be reached);
//     ctx bounds how long a remote store may wait.
type Store interface {
	Announce(ctx context.Context, req *AnnounceRequest, res *AnnounceResult) error
	Leave(ctx context.Context, ih bittorrent.InfoHash, peer Peer) (bool, error)
	Scrape(ctx context.Context, hashes []bittorrent.InfoHash, dst []bittorrent.Counts) ([]bittorrent.Counts, error)
	Totals(ctx context.Context) (Totals, error)
}
