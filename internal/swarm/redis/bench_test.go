package redis_test

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"

	"github.com/swarmbridge/swarmbridge/internal/swarm"
	"github.com/swarmbridge/swarmbridge/internal/swarm/redis"
	"github.com/swarmbridge/swarmbridge/internal/swarm/swarmtest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/redistest"
)

// BenchmarkStore runs the store benchmarks of swarmtest (the same as the
// memory store's) against a redis-server of its own, so that the shared
// one neither slows it down nor keeps its million keys.
func BenchmarkStore(b *testing.B) {
	srv := redistest.StartServer(b)
	swarmtest.Bench(b, func(b *testing.B) swarm.Store {
		st, err := redis.New(b.Context(), redis.Options{URL: srv.URL()})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(st.Close)
		return st
	})
}

// BenchmarkAnnounceConcurrent has many goroutines announce at once, as a
// busy tracker node does, so that rueidis pipelines their scripts: WebRTC
// updates in 1,000 swarms of 50 peers, each wanting 10 offer targets.
// Besides time per announce it reports Redis CPU per announce (INFO cpu),
// which the machine's other load disturbs less than wall time.
func BenchmarkAnnounceConcurrent(b *testing.B) {
	srv := redistest.StartServer(b)
	st, err := redis.New(b.Context(), redis.Options{URL: srv.URL()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const swarms, per = 1000, 50
	req := func(r *swarm.AnnounceRequest, i, j int) {
		binary.LittleEndian.PutUint64(r.InfoHash[:], uint64(i)*0x9e3779b97f4a7c15)
		n := uint32(i*per + j + 1)
		r.Peer = swarm.Peer{Kind: swarm.WebRTC, Owner: swarm.Owner(n)}
		copy(r.Peer.ID[:], "-WW0300-")
		binary.BigEndian.PutUint32(r.Peer.ID[8:], n)
		r.Left = int64(j % 2)
	}
	var res swarm.AnnounceResult
	r := swarm.AnnounceRequest{TTL: time.Hour, Event: bittorrent.EventStarted}
	for i := range swarms {
		for j := range per {
			req(&r, i, j)
			if err := st.Announce(b.Context(), &r, &res); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, par := range []int{4, 32} {
		b.Run("Goroutines"+strconv.Itoa(par*runtime.GOMAXPROCS(0)), func(b *testing.B) {
			cpu0, err := st.RedisCPU(b.Context())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetParallelism(par)
			b.RunParallel(func(pb *testing.PB) {
				r := swarm.AnnounceRequest{TTL: time.Hour, NumWant: 10}
				var res swarm.AnnounceResult
				for pb.Next() {
					req(&r, rand.IntN(swarms), rand.IntN(per))
					res.Peers = res.Peers[:0]
					if err := st.Announce(b.Context(), &r, &res); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			cpu1, err := st.RedisCPU(b.Context())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric((cpu1-cpu0)/float64(b.N)*1e6, "redis-µs/op")
		})
	}
}

// BenchmarkMemory reports the Redis memory (INFO memory's used_memory,
// after minus before) that 100,000 swarms of 10 peers take, for several
// mixes of kinds, on a redis-server of its own with default settings.
// Time per op is the cost of filling and means little; run it with
// -benchtime=1x.
func BenchmarkMemory(b *testing.B) {
	for _, tc := range []struct {
		name           string
		webrtc, v4, v6 int
	}{
		{"1MPeers/WebRTC", 10, 0, 0},
		{"1MPeers/Native", 0, 8, 2},
		{"1MPeers/Mixed", 5, 4, 1},
	} {
		b.Run(tc.name, func(b *testing.B) {
			const swarms = 100_000
			var used int64
			for b.Loop() {
				used = memoryOf(b, swarms, tc.webrtc, tc.v4, tc.v6)
			}
			peers := swarms * (tc.webrtc + tc.v4 + tc.v6)
			b.ReportMetric(float64(used)/(1<<20), "redis-MiB")
			b.ReportMetric(float64(used)/float64(peers), "redis-B/peer")
		})
	}
}

// memoryOf fills a new redis-server and returns how much used_memory
// grew.
func memoryOf(b *testing.B, swarms, webrtc, v4, v6 int) int64 {
	srv := redistest.StartServer(b)
	defer srv.Stop()
	st, err := redis.New(b.Context(), redis.Options{URL: srv.URL()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	before, err := st.UsedMemory(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	const workers = 32
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var res swarm.AnnounceResult
			r := swarm.AnnounceRequest{TTL: 30 * time.Minute, Event: bittorrent.EventStarted}
			for i := w; i < swarms; i += workers {
				binary.LittleEndian.PutUint64(r.InfoHash[:], uint64(i)*0x9e3779b97f4a7c15)
				binary.LittleEndian.PutUint32(r.InfoHash[8:], uint32(i))
				for j := range webrtc + v4 + v6 {
					n := uint32(i*(webrtc+v4+v6) + j + 1)
					var p swarm.Peer
					copy(p.ID[:], "-WW0300-")
					binary.BigEndian.PutUint32(p.ID[8:], n)
					switch {
					case j < webrtc:
						p.Kind, p.Owner = swarm.WebRTC, swarm.Owner(n)
					case j < webrtc+v4:
						p.Kind = swarm.Native
						p.Addr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)}), 6881)
					default:
						p.Kind = swarm.Native
						a := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 12: byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
						p.Addr = netip.AddrPortFrom(a, 6881)
					}
					r.Peer, r.Left = p, int64(j%2)
					res.Peers = res.Peers[:0]
					if err := st.Announce(b.Context(), &r, &res); err != nil {
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
	after, err := st.UsedMemory(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	return after - before
}
