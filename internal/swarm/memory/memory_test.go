package memory_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"runtime"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
	"github.com/swarmbridge/swarmbridge/internal/swarm/memory"
	"github.com/swarmbridge/swarmbridge/internal/swarm/swarmtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts memory.Options
	}{
		{"Default", memory.Options{}},
		// One shard puts every swarm behind one lock: the concurrency
		// checks then contend as hard as they can.
		{"OneShard", memory.Options{Shards: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			newStore := func(_ *testing.T, clock *swarmtest.Clock) swarm.Store {
				opts := tc.opts
				opts.Now = clock.Now
				return memory.New(opts)
			}
			swarmtest.Run(t, newStore)
		})
	}
}

func BenchmarkStore(b *testing.B) {
	swarmtest.Bench(b, func(*testing.B) swarm.Store {
		return memory.New(memory.Options{})
	})
}

const ttl = 30 * time.Minute

func webrtcPeer(n uint32) swarm.Peer {
	p := swarm.Peer{Kind: swarm.WebRTC, Owner: swarm.Owner(n) + 1}
	binary.BigEndian.PutUint32(p.ID[:], n)
	return p
}

func nativePeer(n uint32) swarm.Peer {
	var a [4]byte
	binary.BigEndian.PutUint32(a[:], 10<<24+n)
	p := swarm.Peer{Kind: swarm.Native, Addr: netip.AddrPortFrom(netip.AddrFrom4(a), 6881)}
	binary.BigEndian.PutUint32(p.ID[:], n)
	return p
}

func announce(t *testing.T, st *memory.Store, r swarm.AnnounceRequest) swarm.AnnounceResult {
	t.Helper()
	var res swarm.AnnounceResult
	if err := st.Announce(t.Context(), &r, &res); err != nil {
		t.Fatalf("Announce: %v", err)
	}
	return res
}

func totals(t *testing.T, st *memory.Store) swarm.Totals {
	t.Helper()
	tot, err := st.Totals(t.Context())
	if err != nil {
		t.Fatalf("Totals: %v", err)
	}
	return tot
}

func TestSweepDeletesEmptySwarms(t *testing.T) {
	clock := swarmtest.NewClock(time.Now())
	st := memory.New(memory.Options{Now: clock.Now})
	gone1, gone2, kept := bittorrent.InfoHash{1}, bittorrent.InfoHash{2}, bittorrent.InfoHash{3}
	for i, ih := range []bittorrent.InfoHash{gone1, gone2, kept} {
		announce(t, st, swarm.AnnounceRequest{InfoHash: ih, Peer: webrtcPeer(uint32(i)), Left: 0, TTL: time.Minute})
		announce(t, st, swarm.AnnounceRequest{InfoHash: ih, Peer: nativePeer(uint32(i)), Left: 5, TTL: time.Minute})
	}
	announce(t, st, swarm.AnnounceRequest{InfoHash: kept, Peer: webrtcPeer(9), Left: 5, TTL: time.Hour})
	clock.Advance(2 * time.Minute)

	// Untouched expired entries stay in Totals until a sweep.
	if got := totals(t, st); got.Swarms != 3 || got.Seeders != 3 || got.Leechers != 4 {
		t.Fatalf("before Sweep: Totals = %+v, want the expired entries still counted", got)
	}
	st.Sweep()
	got := totals(t, st)
	want := swarm.Totals{Swarms: 1, Leechers: 1, PeersByKind: map[swarm.Kind]int{swarm.WebRTC: 1, swarm.Native: 0}}
	if got.Swarms != want.Swarms || got.Seeders != want.Seeders || got.Leechers != want.Leechers ||
		got.PeersByKind[swarm.WebRTC] != 1 || got.PeersByKind[swarm.Native] != 0 {
		t.Errorf("after Sweep: Totals = %+v, want %+v", got, want)
	}
}

func TestMaxPeersPerSwarmEvictsEarliestExpiry(t *testing.T) {
	st := memory.New(memory.Options{MaxPeersPerSwarm: 3})
	ih := bittorrent.InfoHash{7}
	a, b, c, d := webrtcPeer(1), nativePeer(2), webrtcPeer(3), nativePeer(4)
	announce(t, st, swarm.AnnounceRequest{InfoHash: ih, Peer: a, Left: 0, TTL: 10 * time.Minute})
	announce(t, st, swarm.AnnounceRequest{InfoHash: ih, Peer: b, Left: 0, TTL: 5 * time.Minute})
	announce(t, st, swarm.AnnounceRequest{InfoHash: ih, Peer: c, Left: 1, TTL: 20 * time.Minute})

	// At the cap, an existing entry announcing again evicts nobody.
	res := announce(t, st, swarm.AnnounceRequest{InfoHash: ih, Peer: a, Left: 0, TTL: 10 * time.Minute})
	if want := (bittorrent.Counts{Complete: 2, Incomplete: 1}); res.Counts != want {
		t.Fatalf("re-announce at cap: counts = %+v, want %+v", res.Counts, want)
	}
	// A new entry evicts b, which expires first.
	res = announce(t, st, swarm.AnnounceRequest{InfoHash: ih, Peer: d, Left: 1, TTL: 15 * time.Minute, NumWant: 10})
	if want := (bittorrent.Counts{Complete: 1, Incomplete: 2}); res.Counts != want {
		t.Errorf("new entry at cap: counts = %+v, want %+v", res.Counts, want)
	}
	if len(res.Peers) != 0 {
		t.Errorf("native requester got %v, want no native peers after b's eviction", res.Peers)
	}
	if ok, err := st.Leave(t.Context(), ih, b); ok || err != nil {
		t.Errorf("Leave of evicted entry = %v, %v; want false, nil", ok, err)
	}
	res = announce(t, st, swarm.AnnounceRequest{InfoHash: ih, Peer: c, Left: bittorrent.LeftUnknown, TTL: 20 * time.Minute, NumWant: 10})
	if !slices.Equal(res.Peers, []swarm.Peer{a}) {
		t.Errorf("WebRTC picks = %v, want [a]", res.Peers)
	}
	if got := totals(t, st); got.Seeders != 1 || got.Leechers != 2 || got.PeersByKind[swarm.Native] != 1 {
		t.Errorf("Totals = %+v, want 1 seeder, 2 leechers, 1 native peer", got)
	}
}

func TestInvalidZonedAddress(t *testing.T) {
	st := memory.New(memory.Options{})
	p := swarm.Peer{Kind: swarm.Native, Addr: netip.MustParseAddrPort("[fe80::1%eth0]:6881")}
	var res swarm.AnnounceResult
	err := st.Announce(t.Context(), &swarm.AnnounceRequest{Peer: p, TTL: ttl}, &res)
	if !errors.Is(err, swarm.ErrInvalid) {
		t.Errorf("zoned address: err = %v, want one wrapping ErrInvalid", err)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	st := memory.New(memory.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx, time.Millisecond) }()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
}

func TestRunSweeps(t *testing.T) {
	clock := swarmtest.NewClock(time.Now())
	st := memory.New(memory.Options{Now: clock.Now})
	announce(t, st, swarm.AnnounceRequest{InfoHash: bittorrent.InfoHash{1}, Peer: webrtcPeer(1), TTL: time.Minute})
	clock.Advance(time.Hour)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx, time.Millisecond) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	}()
	// Wait for a sweep. The bound is only there so a broken Run fails
	// instead of hanging; it is far beyond any machine's slowness.
	giveUp := time.After(time.Minute)
	for totals(t, st).Swarms != 0 {
		select {
		case <-giveUp:
			t.Fatal("Run did not sweep within a minute")
		case <-time.After(time.Millisecond):
		}
	}
}

func TestRunRejectsBadInterval(t *testing.T) {
	st := memory.New(memory.Options{})
	if err := st.Run(t.Context(), 0); !errors.Is(err, swarm.ErrInvalid) {
		t.Errorf("Run(0) = %v, want an error wrapping ErrInvalid", err)
	}
}

// BenchmarkHeap reports the live heap of a store holding 1,000,000 peers in
// 100,000 swarms of 10, for several mixes of kinds. Time per op is the cost
// of filling the store and means little; run it with -benchtime=1x.
func BenchmarkHeap(b *testing.B) {
	for _, tc := range []struct {
		name           string
		webrtc, v4, v6 int
	}{
		{"1MPeers/WebRTC", 10, 0, 0},
		{"1MPeers/Native", 0, 8, 2},
		{"1MPeers/Mixed", 5, 4, 1},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var heap uint64
			for b.Loop() {
				heap = heapOf(b, 100_000, tc.webrtc, tc.v4, tc.v6)
			}
			peers := 100_000 * (tc.webrtc + tc.v4 + tc.v6)
			b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
			b.ReportMetric(float64(heap)/float64(peers), "heap-B/peer")
		})
	}
}

// heapOf fills a new store and returns how much the live heap grew.
func heapOf(b *testing.B, swarms, webrtc, v4, v6 int) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	st := memory.New(memory.Options{})
	ctx := b.Context()
	var res swarm.AnnounceResult
	r := swarm.AnnounceRequest{TTL: ttl, Event: bittorrent.EventStarted}
	n := uint32(0)
	for i := range swarms {
		binary.LittleEndian.PutUint64(r.InfoHash[:], uint64(i)*0x9e3779b97f4a7c15)
		binary.LittleEndian.PutUint32(r.InfoHash[8:], uint32(i))
		for j := range webrtc + v4 + v6 {
			n++
			switch {
			case j < webrtc:
				r.Peer = webrtcPeer(n)
			case j < webrtc+v4:
				r.Peer = nativePeer(n)
			default:
				r.Peer = nativePeer(n)
				a := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 12: byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
				r.Peer.Addr = netip.AddrPortFrom(a, 6881)
			}
			r.Left = int64(j % 2)
			if err := st.Announce(ctx, &r, &res); err != nil {
				b.Fatal(err)
			}
		}
	}

	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(st)
	return after.HeapAlloc - before.HeapAlloc
}

func TestPeersByKind(t *testing.T) {
	clock := swarmtest.NewClock(time.Now())
	st := memory.New(memory.Options{Now: clock.Now})
	ih := bittorrent.InfoHash{1}
	announce := func(p swarm.Peer, ttl time.Duration) {
		t.Helper()
		var res swarm.AnnounceResult
		if err := st.Announce(t.Context(), &swarm.AnnounceRequest{InfoHash: ih, Peer: p, Event: bittorrent.EventStarted, Left: 1, TTL: ttl}, &res); err != nil {
			t.Fatal(err)
		}
	}
	announce(swarm.Peer{ID: bittorrent.PeerID{1}, Kind: swarm.WebRTC, Owner: 1}, time.Hour)
	announce(swarm.Peer{ID: bittorrent.PeerID{2}, Kind: swarm.Native, Addr: netip.MustParseAddrPort("192.0.2.1:6881")}, time.Hour)
	announce(swarm.Peer{ID: bittorrent.PeerID{3}, Kind: swarm.Native, Addr: netip.MustParseAddrPort("[2001:db8::1]:6881")}, time.Minute)
	want := func(what string, webrtc, native int) {
		t.Helper()
		got, err := st.PeersByKind(t.Context(), ih)
		if err != nil || got[swarm.WebRTC] != webrtc || got[swarm.Native] != native {
			t.Fatalf("%s: %v, %v; want webrtc %d, native %d", what, got, err, webrtc, native)
		}
	}
	want("three peers", 1, 2)
	clock.Advance(2 * time.Minute)
	want("one expired", 1, 1)
	if got, _ := st.PeersByKind(t.Context(), bittorrent.InfoHash{2}); got[swarm.WebRTC] != 0 || got[swarm.Native] != 0 {
		t.Fatalf("unknown swarm: %v", got)
	}
}
