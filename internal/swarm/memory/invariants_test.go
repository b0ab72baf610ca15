package memory

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// checkInvariants verifies the bookkeeping the store relies on: counters
// that match the entries, an index that matches the slices, no duplicate
// or misfiled entry, no empty swarm, the cap respected.
func (st *Store) checkInvariants(t *testing.T) {
	t.Helper()
	for si := range st.shards {
		st.checkShard(t, si)
	}
}

func (st *Store) checkShard(t *testing.T, si int) {
	t.Helper()
	sh := &st.shards[si]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	var seeders int
	var entries [numLists]int
	for ih, s := range sh.swarms {
		if s.size() == 0 {
			t.Fatalf("swarm %v is empty but not deleted", ih)
		}
		if st.maxPeers > 0 && s.size() > st.maxPeers {
			t.Fatalf("swarm %v has %d entries, cap %d", ih, s.size(), st.maxPeers)
		}
		if s.size() > indexAbove && s.index == nil {
			t.Fatalf("swarm %v has %d entries and no index", ih, s.size())
		}
		if s.index != nil && len(s.index) != s.size() {
			t.Fatalf("swarm %v: index has %d keys for %d entries", ih, len(s.index), s.size())
		}
		var swarmSeeders int32
		seen := make(map[key]bool)
		for list := range s.lists {
			for pos, e := range s.lists[list] {
				k := e.key(uint8(list))
				if seen[k] {
					t.Fatalf("swarm %v: duplicate key %v", ih, k)
				}
				seen[k] = true
				if got := s.find(&k); got != pos {
					t.Fatalf("swarm %v: find(%v) = %d, want %d", ih, k, got, pos)
				}
				if e.expires < s.minExpires {
					t.Fatalf("swarm %v: entry expires at %d before minExpires %d", ih, e.expires, s.minExpires)
				}
				if list != listWebRTC {
					is4 := netip.AddrFrom16(e.ep).Is4In6()
					if is4 != (list == listIPv4) {
						t.Fatalf("swarm %v: address %v in list %d", ih, netip.AddrFrom16(e.ep), list)
					}
				}
				if e.seeder {
					swarmSeeders++
				}
			}
			entries[list] += len(s.lists[list])
		}
		if swarmSeeders != s.seeders {
			t.Fatalf("swarm %v: seeders = %d, counted %d", ih, s.seeders, swarmSeeders)
		}
		seeders += int(swarmSeeders)
	}
	if seeders != sh.seeders || entries != sh.entries {
		t.Fatalf("shard %d: counters %d %v, entries say %d %v", si, sh.seeders, sh.entries, seeders, entries)
	}
}

// TestRandomOperationsKeepInvariants drives a store with random requests
// over a few crowded swarms, so that indexes are built and dropped, entries
// expire, and the cap evicts, checking the bookkeeping after every step.
func TestRandomOperationsKeepInvariants(t *testing.T) {
	for _, maxPeers := range []int{0, 40} {
		var now int64 = 1e18
		st := New(Options{Shards: 2, MaxPeersPerSwarm: maxPeers, Now: func() time.Time { return time.Unix(0, now) }})
		hashes := []bittorrent.InfoHash{{1}, {2}, {3}}
		var peers []swarm.Peer
		for i := range 100 {
			var p swarm.Peer
			binary.BigEndian.PutUint32(p.ID[:], uint32(i))
			switch i % 4 {
			case 0, 1:
				p.Kind = swarm.WebRTC
			case 2:
				p.Kind = swarm.Native
				p.Addr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), 6881)
			case 3:
				p.Kind = swarm.Native
				p.Addr = netip.AddrPortFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 15: byte(i)}), 6881)
			}
			peers = append(peers, p)
		}
		ctx := t.Context()
		var res swarm.AnnounceResult
		for i := range 10_000 {
			ih := hashes[rand.IntN(len(hashes))]
			p := peers[rand.IntN(len(peers))]
			if p.Kind == swarm.WebRTC {
				p.Owner = swarm.Owner(rand.IntN(3) + 1)
			}
			switch op := rand.IntN(100); {
			case op < 70:
				r := swarm.AnnounceRequest{
					InfoHash: ih,
					Peer:     p,
					Event:    bittorrent.Event(rand.IntN(4)),
					Left:     []int64{0, 5, bittorrent.LeftUnknown}[rand.IntN(3)],
					TTL:      []time.Duration{time.Second, 10 * time.Second, time.Minute}[rand.IntN(3)],
					NumWant:  rand.IntN(40),
					Families: swarm.Family(rand.IntN(4)),
				}
				res.Peers = res.Peers[:0]
				if err := st.Announce(ctx, &r, &res); err != nil {
					t.Fatal(err)
				}
				for i, q := range res.Peers {
					if q.Kind != p.Kind || (q.Kind == swarm.WebRTC && q.ID == p.ID) || (q.Kind == swarm.Native && q.Addr == p.Addr) {
						t.Fatalf("%v requester got %+v", p.Kind, q)
					}
					if slices.Contains(res.Peers[:i], q) {
						t.Fatalf("got %+v twice", q)
					}
				}
			case op < 85:
				if _, err := st.Leave(ctx, ih, p); err != nil {
					t.Fatal(err)
				}
			case op < 90:
				if _, err := st.Scrape(ctx, hashes, nil); err != nil {
					t.Fatal(err)
				}
			case op < 91:
				st.Sweep()
			default:
				now += int64(rand.IntN(int(time.Second)))
			}
			// Drift is cumulative, so checking every few steps finds it too,
			// at a fraction of the cost under -race.
			if i%5 == 0 {
				st.checkInvariants(t)
			}
		}
		st.checkInvariants(t)
	}
}

func TestExpiryIsInclusive(t *testing.T) {
	var now int64 = 1e18
	st := New(Options{Now: func() time.Time { return time.Unix(0, now) }})
	p := swarm.Peer{Kind: swarm.WebRTC, Owner: 1}
	var res swarm.AnnounceResult
	if err := st.Announce(t.Context(), &swarm.AnnounceRequest{Peer: p, TTL: time.Minute}, &res); err != nil {
		t.Fatal(err)
	}
	now += int64(time.Minute) - 1
	got, _ := st.Scrape(t.Context(), []bittorrent.InfoHash{{}}, nil)
	if got[0].Complete != 1 {
		t.Errorf("1ns before expiry: counts = %+v, want the entry", got[0])
	}
	now++
	got, _ = st.Scrape(t.Context(), []bittorrent.InfoHash{{}}, nil)
	if got[0] != (bittorrent.Counts{}) {
		t.Errorf("at expiry: counts = %+v, want none", got[0])
	}
}

func TestShardsRoundedToPowerOfTwo(t *testing.T) {
	for in, want := range map[int]int{-1: DefaultShards, 0: DefaultShards, 1: 1, 5: 8, 64: 64, 1 << 30: maxShards} {
		st := New(Options{Shards: in})
		if len(st.shards) != want || st.mask != uint64(want-1) {
			t.Errorf("Shards %d: %d shards, mask %#x; want %d", in, len(st.shards), st.mask, want)
		}
	}
}

func TestFloydDistinctInRange(t *testing.T) {
	var buf [smallPick]int
	for k := range smallPick + 1 {
		for m := k; m < 40; m++ {
			for range 50 {
				dst := buf[:k]
				floyd(dst, m)
				for i, v := range dst {
					if v < 0 || v >= m || slices.Contains(dst[:i], v) {
						t.Fatalf("floyd(%d of %d) = %v", k, m, dst)
					}
				}
			}
		}
	}
}
