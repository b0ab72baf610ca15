package swarmtest

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// benchTTL outlives any benchmark run, so nothing expires while measuring.
const benchTTL = time.Hour

// Bench measures the calls transports make on every request against one
// store from newStore, filled once with a large population (100,000
// swarms of 10 peers of mixed kinds) plus 150,000 peers in 2,000 bigger
// swarms for the picking benchmarks. Every benchmark reports allocations; callers
// reuse AnnounceResult.Peers, as transports do, so a store that does not
// allocate in steady state shows 0 allocs/op.
func Bench(b *testing.B, newStore func(b *testing.B) swarm.Store) {
	st := newStore(b)
	ctx := b.Context()
	big := &benchSet{seed: rand.Uint64(), swarms: 100_000, webrtc: 5, v4: 4, v6: 1}
	rtc := &benchSet{seed: rand.Uint64(), swarms: 1_000, webrtc: 50}
	nat := &benchSet{seed: rand.Uint64(), swarms: 1_000, v4: 80, v6: 20}
	for _, s := range []*benchSet{big, rtc, nat} {
		s.fill(b, ctx, st)
	}

	b.Run("Announce/100kSwarms", func(b *testing.B) {
		benchAnnounce(b, ctx, st, big, 0, big.per(), 0)
	})
	b.Run("AnnounceParallel/100kSwarms", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			r := swarm.AnnounceRequest{TTL: benchTTL}
			var res swarm.AnnounceResult
			for pb.Next() {
				big.request(&r, rand.IntN(big.swarms), rand.IntN(big.per()))
				res.Peers = res.Peers[:0]
				if err := st.Announce(ctx, &r, &res); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("AnnounceWebRTC/NumWant10", func(b *testing.B) {
		benchAnnounce(b, ctx, st, rtc, 0, rtc.webrtc, 10)
	})
	b.Run("AnnounceNative/NumWant50", func(b *testing.B) {
		benchAnnounce(b, ctx, st, nat, nat.webrtc, nat.per(), 50)
	})
	b.Run("Scrape/100kSwarms", func(b *testing.B) {
		b.ReportAllocs()
		hashes := make([]bittorrent.InfoHash, 1)
		var dst []bittorrent.Counts
		for b.Loop() {
			hashes[0] = big.hash(rand.IntN(big.swarms))
			var err error
			if dst, err = st.Scrape(ctx, hashes, dst[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchAnnounce times updates from existing peers lo..hi-1 of random
// swarms of s, each asking for numWant peers.
func benchAnnounce(b *testing.B, ctx context.Context, st swarm.Store, s *benchSet, lo, hi, numWant int) {
	b.ReportAllocs()
	r := swarm.AnnounceRequest{TTL: benchTTL, NumWant: numWant}
	var res swarm.AnnounceResult
	for b.Loop() {
		s.request(&r, rand.IntN(s.swarms), lo+rand.IntN(hi-lo))
		res.Peers = res.Peers[:0]
		if err := st.Announce(ctx, &r, &res); err != nil {
			b.Fatal(err)
		}
	}
}

// benchSet is a population of swarms whose peers are derived from their
// numbers, so benchmarks can name any of them without keeping a million
// requests in memory. Peers 0..webrtc-1 of a swarm are WebRTC, then come
// v4 IPv4 and v6 IPv6 peers. seed keeps sets, and runs against a shared
// backend, apart.
type benchSet struct {
	seed           uint64
	swarms         int
	webrtc, v4, v6 int
}

func (s *benchSet) per() int { return s.webrtc + s.v4 + s.v6 }

// hash returns swarm i's info hash. Its first bytes are mixed so the
// swarms spread over a store's shards as real info hashes do.
func (s *benchSet) hash(i int) bittorrent.InfoHash {
	var h bittorrent.InfoHash
	binary.LittleEndian.PutUint64(h[0:8], mix(s.seed+uint64(i)))
	binary.LittleEndian.PutUint64(h[8:16], s.seed)
	binary.LittleEndian.PutUint32(h[16:20], uint32(i))
	return h
}

// request fills r to announce peer j of swarm i, keeping its status.
func (s *benchSet) request(r *swarm.AnnounceRequest, i, j int) {
	n := uint32(i*s.per() + j)
	r.InfoHash = s.hash(i)
	r.Peer = swarm.Peer{}
	binary.LittleEndian.PutUint64(r.Peer.ID[0:8], s.seed)
	binary.LittleEndian.PutUint32(r.Peer.ID[8:12], n)
	switch {
	case j < s.webrtc:
		r.Peer.Kind = swarm.WebRTC
		r.Peer.Owner = swarm.Owner(n) + 1
	case j < s.webrtc+s.v4:
		var a [4]byte
		binary.BigEndian.PutUint32(a[:], 1<<24+n)
		r.Peer.Kind = swarm.Native
		r.Peer.Addr = netip.AddrPortFrom(netip.AddrFrom4(a), 6881)
	default:
		var a [16]byte
		copy(a[:], []byte{0x20, 0x01, 0x0d, 0xb8})
		binary.BigEndian.PutUint32(a[12:], n)
		r.Peer.Kind = swarm.Native
		r.Peer.Addr = netip.AddrPortFrom(netip.AddrFrom16(a), 6881)
	}
	r.Left = int64(j%2) * 1000
}

// fill announces every peer of s, from as many goroutines as there are
// CPUs so that a remote store fills in reasonable time.
func (s *benchSet) fill(b *testing.B, ctx context.Context, st swarm.Store) {
	b.Helper()
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := swarm.AnnounceRequest{TTL: benchTTL, Event: bittorrent.EventStarted}
			var res swarm.AnnounceResult
			for i := w; i < s.swarms; i += workers {
				for j := range s.per() {
					s.request(&r, i, j)
					if err := st.Announce(ctx, &r, &res); err != nil {
						b.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
}

// mix is the splitmix64 finaliser: a cheap bijection that spreads
// consecutive numbers over all bits.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
