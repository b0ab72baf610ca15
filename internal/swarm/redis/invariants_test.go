package redis

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"

	"github.com/redis/rueidis"

	"github.com/swarmbridge/swarmbridge/internal/swarm"
	"github.com/swarmbridge/swarmbridge/internal/swarm/swarmtest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/redistest"
)

// TestRandomOperationsKeepCounters drives a store with random requests
// over a few swarms that share a bucket, with expiry, and checks after
// every few steps that the counters the script keeps (each swarm's
// seeders and entries, the bucket's totals, the registry) match the
// entries themselves. The conformance suite sees counts only through the
// script; this reads the keys.
func TestRandomOperationsKeepCounters(t *testing.T) {
	url := redistest.Shared(t)
	prefix := redistest.Prefix(t)
	clock := swarmtest.NewClock(time.Now())
	st, err := New(t.Context(), Options{URL: url, KeyPrefix: prefix, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	defer func() {
		if err := st.DeleteKeys(context.Background(), prefix); err != nil {
			t.Error(err)
		}
	}()
	// Same first two bytes: one bucket, so sweeping touches them all.
	hashes := []bittorrent.InfoHash{{7, 7, 1}, {7, 7, 2}, {7, 7, 3}}
	var peers []swarm.Peer
	for i := range 60 {
		p := swarm.Peer{ID: bittorrent.PeerID{byte(i), '-'}}
		copy(p.ID[:], []string{"-WW0300-", "-qB4650-", "-TR4060-"}[i%3])
		switch i % 3 {
		case 0:
			p.Kind = swarm.WebRTC
		case 1:
			p.Kind, p.Addr = swarm.Native, netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), 6881)
		case 2:
			p.Kind, p.Addr = swarm.Native, netip.AddrPortFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 15: byte(i)}), 6881)
		}
		peers = append(peers, p)
	}
	ctx := t.Context()
	var res swarm.AnnounceResult
	for i := range 1500 {
		ih := hashes[rand.IntN(len(hashes))]
		p := peers[rand.IntN(len(peers))]
		if p.Kind == swarm.WebRTC {
			p.Owner = swarm.Owner(rand.IntN(3) + 1)
		} else if rand.IntN(5) == 0 {
			p.ID[1] = 'X' // a native endpoint changing client family
		}
		switch op := rand.IntN(100); {
		case op < 75:
			r := swarm.AnnounceRequest{
				InfoHash: ih, Peer: p,
				Event:    bittorrent.Event(rand.IntN(4)),
				Left:     []int64{0, 5, bittorrent.LeftUnknown}[rand.IntN(3)],
				TTL:      []time.Duration{time.Second, 10 * time.Second, time.Minute}[rand.IntN(3)],
				NumWant:  rand.IntN(20),
				Families: swarm.Family(rand.IntN(4)),
			}
			res.Peers = res.Peers[:0]
			if err := st.Announce(ctx, &r, &res); err != nil {
				t.Fatal(err)
			}
		case op < 90:
			if _, err := st.Leave(ctx, ih, p); err != nil {
				t.Fatal(err)
			}
		case op < 93:
			if _, err := st.Totals(ctx); err != nil {
				t.Fatal(err)
			}
		default:
			clock.Advance(time.Duration(rand.IntN(int(3 * time.Second))))
		}
		if i%10 == 0 {
			st.checkCounters(t, hashes)
		}
	}
	clock.Advance(2 * time.Minute)
	if _, err := st.Totals(ctx); err != nil {
		t.Fatal(err)
	}
	st.checkCounters(t, hashes)
	for _, ih := range hashes {
		if n, _ := st.client.Do(ctx, st.client.B().Exists().Key(st.swarmKeys(ih)[:4]...).Build()).AsInt64(); n != 0 {
			t.Errorf("swarm %v: %d keys left after every entry expired and Totals swept", ih, n)
		}
	}
}

// checkCounters compares the counters in Redis with the entries of
// hashes, which must be all the swarms of their bucket.
func (st *Store) checkCounters(t *testing.T, hashes []bittorrent.InfoHash) {
	t.Helper()
	ctx := t.Context()
	c := st.client
	do := func(cmd rueidis.Completed) rueidis.RedisResult { return c.Do(ctx, cmd) }
	var seeders, webrtc, native int64
	clients := map[string]int64{}
	var registered int64
	keys := st.swarmKeys(hashes[0])
	rkey, tkey := keys[4], keys[5]
	for _, ih := range hashes {
		k := st.swarmKeys(ih)
		h, err := do(c.B().Hgetall().Key(k[0]).Build()).AsStrMap()
		if err != nil {
			t.Fatal(err)
		}
		var entries, swarmSeeders int64
		for li, list := range []string{"w", "4", "6"} {
			members, err := do(c.B().Zrange().Key(k[1+li]).Min("0").Max("-1").Build()).AsStrSlice()
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range members {
				rec, ok := h[m]
				if !ok {
					t.Fatalf("swarm %v: list %s member %x has no record", ih, list, m)
				}
				entries++
				f := rec[0]
				if f%2 == 1 {
					swarmSeeders++
				}
				if list == "w" {
					webrtc++
				} else {
					native++
				}
				clients["c"+strconv.Itoa(int(f/4))]++
			}
		}
		if want := entries + 4; int64(len(h)) > want {
			t.Fatalf("swarm %v: %d hash fields for %d entries", ih, len(h), entries)
		}
		seeders += swarmSeeders
		if entries == 0 {
			if len(h) != 0 {
				t.Fatalf("swarm %v: empty but its hash is left: %q", ih, h)
			}
			continue
		}
		registered++
		if h["n"] != strconv.FormatInt(entries, 10) || (h["s"] != strconv.FormatInt(swarmSeeders, 10) && !(swarmSeeders == 0 && h["s"] == "")) {
			t.Fatalf("swarm %v: counters n=%q s=%q, entries say %d and %d", ih, h["n"], h["s"], entries, swarmSeeders)
		}
		if _, err := do(c.B().Zscore().Key(rkey).Member(string(ih[:])).Build()).AsFloat64(); err != nil {
			t.Fatalf("swarm %v has entries but is not registered: %v", ih, err)
		}
	}
	if n, _ := do(c.B().Zcard().Key(rkey).Build()).AsInt64(); n != registered {
		t.Fatalf("registry holds %d swarms, want %d", n, registered)
	}
	tot, err := do(c.B().Hgetall().Key(tkey).Build()).AsStrMap()
	if err != nil {
		t.Fatal(err)
	}
	num := func(s string) int64 { v, _ := strconv.ParseInt(s, 10, 64); return v }
	if num(tot["s"]) != seeders || num(tot["w"]) != webrtc || num(tot["n"]) != native {
		t.Fatalf("bucket totals %q, entries say seeders %d, webrtc %d, native %d", tot, seeders, webrtc, native)
	}
	for f, v := range tot {
		if f[0] == 'c' && num(v) != clients[f] {
			t.Fatalf("bucket totals %s = %s, entries say %d", f, v, clients[f])
		}
	}
	for f, n := range clients {
		if num(tot[f]) != n {
			t.Fatalf("bucket totals %s = %q, entries say %d", f, tot[f], n)
		}
	}
}
