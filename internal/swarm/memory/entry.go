package memory

import (
	"encoding/binary"
	"math"
	"net/netip"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// A swarm keeps its entries in one slice per list, so that a requester's
// candidates are one or two contiguous slices.
const (
	listWebRTC = iota
	listIPv4
	listIPv6
	numLists
)

// entry is one peer of one swarm. It is kept at 48 bytes because a store
// holds millions of them: no pointers (the GC never scans the slices), the
// expiry as unix nanoseconds rather than a time.Time, and the address as 16
// bytes rather than a netip.AddrPort with its zone pointer.
type entry struct {
	expires int64
	id      bittorrent.PeerID
	// ep is a native peer's address in 16-byte form (IPv4 as ::ffff:a.b.c.d;
	// the list tells the family). A WebRTC peer has no address, so its
	// owner lives in the first 8 bytes instead: sharing the field keeps the
	// entry at 48 bytes rather than 56.
	ep      [16]byte
	port    uint16
	seeder  bool
	counted bool // this entry has already counted its one download
}

func (e *entry) owner() swarm.Owner {
	return swarm.Owner(binary.LittleEndian.Uint64(e.ep[:8]))
}

func (e *entry) setOwner(o swarm.Owner) {
	binary.LittleEndian.PutUint64(e.ep[:8], uint64(o))
}

// key returns the entry's key given the list it is in.
func (e *entry) key(list uint8) key {
	k := key{list: list}
	if list == listWebRTC {
		k.b = e.id
		return k
	}
	copy(k.b[:16], e.ep[:])
	binary.BigEndian.PutUint16(k.b[16:18], e.port)
	return k
}

// peer converts the entry to the form the store hands out.
func (e *entry) peer(list uint8) swarm.Peer {
	switch list {
	case listWebRTC:
		return swarm.Peer{ID: e.id, Kind: swarm.WebRTC, Owner: e.owner()}
	case listIPv4:
		a := netip.AddrFrom4([4]byte(e.ep[12:16]))
		return swarm.Peer{ID: e.id, Kind: swarm.Native, Addr: netip.AddrPortFrom(a, e.port)}
	}
	a := netip.AddrFrom16(e.ep)
	return swarm.Peer{ID: e.id, Kind: swarm.Native, Addr: netip.AddrPortFrom(a, e.port)}
}

// key identifies an entry within a swarm: the list, then the peer id for
// WebRTC or the 16-byte address and big-endian port for native peers. The
// list is part of the key, so the same 20 bytes in two lists never collide,
// and an IPv4 address is never mistaken for its IPv4-mapped IPv6 form
// (validation refuses mapped addresses).
type key struct {
	list uint8
	b    [20]byte
}

// keyOf returns the key of a validated peer.
func keyOf(p *swarm.Peer) key {
	if p.Kind == swarm.WebRTC {
		return key{list: listWebRTC, b: p.ID}
	}
	a := p.Addr.Addr()
	k := key{list: listIPv6}
	if a.Is4() {
		k.list = listIPv4
	}
	a16 := a.As16()
	copy(k.b[:16], a16[:])
	binary.BigEndian.PutUint16(k.b[16:18], p.Addr.Port())
	return k
}

// newEntry builds the entry for a validated peer with key k.
func newEntry(p *swarm.Peer, k *key) entry {
	e := entry{id: p.ID}
	if k.list == listWebRTC {
		e.setOwner(p.Owner)
		return e
	}
	copy(e.ep[:], k.b[:16])
	e.port = binary.BigEndian.Uint16(k.b[16:18])
	return e
}

// expiry returns now + ttl in unix nanoseconds, saturating instead of
// wrapping for absurdly long TTLs. ttl is positive (validated).
func expiry(now int64, ttl time.Duration) int64 {
	if now > math.MaxInt64-int64(ttl) {
		return math.MaxInt64
	}
	return now + int64(ttl)
}
