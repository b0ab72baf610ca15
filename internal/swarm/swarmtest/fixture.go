package swarmtest

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// ttl is the TTL of every announce that does not test expiry: long enough
// that nothing expires by accident, since the clock only moves on demand.
const ttl = 30 * time.Minute

// fixture is one subtest's store, clock and helpers. Helpers fail the test
// on an unexpected error, so the test bodies read as the contract does.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	st    swarm.Store
	clock *Clock
	// next numbers the endpoints this fixture hands out, so that they are
	// distinct within a subtest.
	next uint32
}

// newHash returns a random info hash, so that no two subtests share a swarm
// even when their stores share a backend.
func newHash() bittorrent.InfoHash {
	var h bittorrent.InfoHash
	for i := 0; i < len(h); i += 8 {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], rand.Uint64())
		copy(h[i:], b[:])
	}
	return h
}

func newID() bittorrent.PeerID {
	return bittorrent.PeerID(newHash())
}

// newOwner returns a random owner, never zero.
func newOwner() swarm.Owner {
	return swarm.Owner(rand.Uint64N(math.MaxUint64) + 1)
}

// webrtc returns a new WebRTC peer bound to a new owner.
func (f *fixture) webrtc() swarm.Peer {
	return swarm.Peer{ID: newID(), Kind: swarm.WebRTC, Owner: newOwner()}
}

// native4 returns a new native IPv4 peer with an endpoint unused so far in
// this subtest.
func (f *fixture) native4() swarm.Peer {
	f.next++
	n := f.next
	a := netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)})
	return swarm.Peer{ID: newID(), Kind: swarm.Native, Addr: netip.AddrPortFrom(a, 6881)}
}

// native6 returns a new native IPv6 peer with an endpoint unused so far in
// this subtest.
func (f *fixture) native6() swarm.Peer {
	f.next++
	var b [16]byte
	copy(b[:], []byte{0x20, 0x01, 0x0d, 0xb8})
	binary.BigEndian.PutUint32(b[12:], f.next)
	return swarm.Peer{ID: newID(), Kind: swarm.Native, Addr: netip.AddrPortFrom(netip.AddrFrom16(b), 6881)}
}

// req returns an announce request with the suite's default TTL and no
// peers wanted.
func req(ih bittorrent.InfoHash, p swarm.Peer, ev bittorrent.Event, left int64) *swarm.AnnounceRequest {
	return &swarm.AnnounceRequest{InfoHash: ih, Peer: p, Event: ev, Left: left, TTL: ttl}
}

// announce sends r and fails the test on error.
func (f *fixture) announce(r *swarm.AnnounceRequest) swarm.AnnounceResult {
	f.t.Helper()
	var res swarm.AnnounceResult
	if err := f.st.Announce(f.ctx, r, &res); err != nil {
		f.t.Fatalf("Announce(%v %v %v left=%d): %v", r.Peer.Kind, r.Peer.ID, r.Event, r.Left, err)
	}
	return res
}

// do announces event ev with left for p in ih, asking for no peers.
func (f *fixture) do(ih bittorrent.InfoHash, p swarm.Peer, ev bittorrent.Event, left int64) swarm.AnnounceResult {
	f.t.Helper()
	return f.announce(req(ih, p, ev, left))
}

// picks has p announce an update that changes nothing but its expiry and
// returns the peers it is given.
func (f *fixture) picks(ih bittorrent.InfoHash, p swarm.Peer, numWant int, families swarm.Family) []swarm.Peer {
	f.t.Helper()
	r := req(ih, p, bittorrent.EventUpdate, bittorrent.LeftUnknown)
	r.NumWant = numWant
	r.Families = families
	return f.announce(r).Peers
}

// scrape returns the counts of one swarm and fails the test on error.
func (f *fixture) scrape(ih bittorrent.InfoHash) bittorrent.Counts {
	f.t.Helper()
	got, err := f.st.Scrape(f.ctx, []bittorrent.InfoHash{ih}, nil)
	if err != nil {
		f.t.Fatalf("Scrape(%v): %v", ih, err)
	}
	if len(got) != 1 {
		f.t.Fatalf("Scrape of one hash returned %d counts", len(got))
	}
	return got[0]
}

// leave calls Leave and fails the test on error.
func (f *fixture) leave(ih bittorrent.InfoHash, p swarm.Peer) bool {
	f.t.Helper()
	ok, err := f.st.Leave(f.ctx, ih, p)
	if err != nil {
		f.t.Fatalf("Leave(%v %v): %v", p.Kind, p.ID, err)
	}
	return ok
}

func (f *fixture) totals() swarm.Totals {
	f.t.Helper()
	tot, err := f.st.Totals(f.ctx)
	if err != nil {
		f.t.Fatalf("Totals: %v", err)
	}
	return tot
}

// wantCounts checks counts both as the announce reported them and as a
// scrape sees them afterwards.
func (f *fixture) wantCounts(what string, ih bittorrent.InfoHash, got, want bittorrent.Counts) {
	f.t.Helper()
	if got != want {
		f.t.Errorf("%s: announce counts = %+v, want %+v", what, got, want)
	}
	if s := f.scrape(ih); s != want {
		f.t.Errorf("%s: scrape counts = %+v, want %+v", what, s, want)
	}
}

// wantScrape checks a swarm's counts as a scrape sees them.
func (f *fixture) wantScrape(what string, ih bittorrent.InfoHash, want bittorrent.Counts) {
	f.t.Helper()
	if s := f.scrape(ih); s != want {
		f.t.Errorf("%s: scrape counts = %+v, want %+v", what, s, want)
	}
}

// delta is the change between two Totals.
type delta struct {
	swarms, seeders, leechers, webrtc, native int
}

func diff(before, after swarm.Totals) delta {
	return delta{
		swarms:   after.Swarms - before.Swarms,
		seeders:  after.Seeders - before.Seeders,
		leechers: after.Leechers - before.Leechers,
		webrtc:   after.PeersByKind[swarm.WebRTC] - before.PeersByKind[swarm.WebRTC],
		native:   after.PeersByKind[swarm.Native] - before.PeersByKind[swarm.Native],
	}
}

// wantDelta checks how Totals changed since before.
func (f *fixture) wantDelta(what string, before swarm.Totals, want delta) {
	f.t.Helper()
	if got := diff(before, f.totals()); got != want {
		f.t.Errorf("%s: Totals changed by %+v, want %+v", what, got, want)
	}
}
