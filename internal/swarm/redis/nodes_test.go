package redis_test

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"

	"github.com/swarmbridge/swarmbridge/internal/swarm"
	"github.com/swarmbridge/swarmbridge/internal/swarm/redis"
	"github.com/swarmbridge/swarmbridge/internal/swarm/swarmtest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/redistest"
)

// openStore connects another store (another tracker node) to url under
// an existing prefix. The caller closes it.
func openStore(t *testing.T, url, prefix string, now func() time.Time) *redis.Store {
	t.Helper()
	st, err := redis.New(t.Context(), redis.Options{URL: url, KeyPrefix: prefix, Now: now})
	if err != nil {
		t.Fatalf("redis.New: %v", err)
	}
	return st
}

func announce(t *testing.T, st swarm.Store, r swarm.AnnounceRequest) swarm.AnnounceResult {
	t.Helper()
	var res swarm.AnnounceResult
	if err := st.Announce(t.Context(), &r, &res); err != nil {
		t.Fatalf("Announce: %v", err)
	}
	return res
}

func scrape(t *testing.T, st swarm.Store, ih bittorrent.InfoHash) bittorrent.Counts {
	t.Helper()
	got, err := st.Scrape(t.Context(), []bittorrent.InfoHash{ih}, nil)
	if err != nil {
		t.Fatalf("Scrape: %v", err)
	}
	return got[0]
}

// TestNodesShareSwarms runs two stores on one Redis, as two tracker nodes
// would: each sees the other's peers, a WebRTC peer that reconnects to the
// other node is rebound there, and the downloads of a swarm outlive the
// node that counted them.
func TestNodesShareSwarms(t *testing.T) {
	url := redistest.Shared(t)
	// The first store only cleans up; a and b are the nodes.
	_, prefix := newStore(t, url, nil)
	a := openStore(t, url, prefix, nil)
	b := openStore(t, url, prefix, nil)
	defer b.Close()

	ih := bittorrent.InfoHash{0xab, 0xcd}
	p := swarm.Peer{ID: bittorrent.PeerID{1}, Kind: swarm.WebRTC, Owner: 1<<56 | 7} // node 1, connection 7
	q := swarm.Peer{ID: bittorrent.PeerID{2}, Kind: swarm.WebRTC, Owner: 2<<56 | 9} // node 2
	announce(t, a, swarm.AnnounceRequest{InfoHash: ih, Peer: p, Event: bittorrent.EventCompleted, TTL: time.Hour})
	res := announce(t, b, swarm.AnnounceRequest{InfoHash: ih, Peer: q, Left: 5, TTL: time.Hour, NumWant: 10})
	if len(res.Peers) != 1 || res.Peers[0] != p {
		t.Errorf("node b's peer got %v, want node a's peer %v", res.Peers, p)
	}
	if want := (bittorrent.Counts{Complete: 1, Incomplete: 1, Downloaded: 1}); res.Counts != want {
		t.Errorf("counts on node b = %+v, want %+v", res.Counts, want)
	}
	// p reconnects through node b: last announcer wins.
	moved := p
	moved.Owner = 2<<56 | 10
	res = announce(t, b, swarm.AnnounceRequest{InfoHash: ih, Peer: moved, Left: bittorrent.LeftUnknown, TTL: time.Hour})
	if res.Rebound != p.Owner {
		t.Errorf("Rebound = %#x, want node a's owner %#x", res.Rebound, p.Owner)
	}
	if ok, err := a.Leave(t.Context(), ih, p); ok || err != nil {
		t.Errorf("node a's Leave after the rebind = %v, %v; want false, nil", ok, err)
	}
	// Node a restarts: the downloads are in Redis, not in the node.
	a.Close()
	c := openStore(t, url, prefix, nil)
	defer c.Close()
	if got, want := scrape(t, c, ih), (bittorrent.Counts{Complete: 1, Incomplete: 1, Downloaded: 1}); got != want {
		t.Errorf("after node a restarted: %+v, want %+v", got, want)
	}
}

// TestEveryKeyHasTTL checks that abandoned swarms vanish from Redis by
// themselves: every key the store writes carries a TTL.
func TestEveryKeyHasTTL(t *testing.T) {
	url := redistest.Shared(t)
	st, prefix := newStore(t, url, nil)
	for i := range 20 {
		ih := bittorrent.InfoHash{byte(i), byte(i * 37)}
		announce(t, st, swarm.AnnounceRequest{InfoHash: ih, Peer: swarm.Peer{ID: bittorrent.PeerID{1}, Kind: swarm.WebRTC, Owner: 1}, TTL: time.Minute})
		announce(t, st, swarm.AnnounceRequest{InfoHash: ih, Peer: swarm.Peer{Kind: swarm.Native, Addr: netip.MustParseAddrPort("192.0.2.1:1")}, TTL: time.Minute, NumWant: 5})
		announce(t, st, swarm.AnnounceRequest{InfoHash: ih, Peer: swarm.Peer{Kind: swarm.Native, Addr: netip.MustParseAddrPort("[2001:db8::1]:1")}, TTL: time.Minute, Event: bittorrent.EventCompleted})
	}
	if _, err := st.Totals(t.Context()); err != nil {
		t.Fatal(err)
	}
	keys, persistent, err := st.CountKeys(t.Context(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	if keys == 0 || persistent != 0 {
		t.Errorf("%d keys, %d of them without a TTL; want keys, all with a TTL", keys, persistent)
	}
}

// TestExpiredSwarmsLeaveTotals checks that swarms whose entries all
// expired, and that nobody announces to again, leave Totals and Redis
// without any node sweeping the whole store.
func TestExpiredSwarmsLeaveTotals(t *testing.T) {
	url := redistest.Shared(t)
	clock := swarmtest.NewClock(time.Now())
	st, prefix := newStore(t, url, clock.Now)
	before, err := st.Totals(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	kept := bittorrent.InfoHash{0xff, 0xfe}
	announce(t, st, swarm.AnnounceRequest{InfoHash: kept, Peer: swarm.Peer{ID: bittorrent.PeerID{1}, Kind: swarm.WebRTC, Owner: 1}, TTL: time.Hour})
	const gone = 200
	for i := range gone {
		var ih bittorrent.InfoHash
		binary.BigEndian.PutUint32(ih[:], uint32(i)*2654435761)
		announce(t, st, swarm.AnnounceRequest{InfoHash: ih, Peer: swarm.Peer{ID: bittorrent.PeerID{2}, Kind: swarm.WebRTC, Owner: 1}, TTL: time.Minute})
		announce(t, st, swarm.AnnounceRequest{InfoHash: ih, Peer: swarm.Peer{Kind: swarm.Native, Addr: netip.MustParseAddrPort("192.0.2.1:1")}, Left: 3, TTL: time.Minute})
	}
	tot, err := st.Totals(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if d := tot.Swarms - before.Swarms; d != gone+1 {
		t.Fatalf("Totals counts %d new swarms, want %d", d, gone+1)
	}
	clock.Advance(2 * time.Minute)
	tot, err = st.Totals(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if tot.Swarms-before.Swarms != 1 || tot.Seeders-before.Seeders != 1 || tot.Leechers-before.Leechers != 0 ||
		tot.PeersByKind[swarm.WebRTC]-before.PeersByKind[swarm.WebRTC] != 1 || tot.PeersByKind[swarm.Native]-before.PeersByKind[swarm.Native] != 0 {
		t.Errorf("after expiry: Totals = %+v (before %+v), want only the kept swarm's seeder added", tot, before)
	}
	keys, _, err := st.CountKeys(t.Context(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	// The kept swarm (hash, WebRTC list), and its bucket's registry and
	// totals; the other buckets keep only their totals hashes.
	if keys > 4+gone {
		t.Errorf("%d keys left after %d swarms expired", keys, gone)
	}
}

func TestScrapeAllListsEveryLiveSwarm(t *testing.T) {
	url := redistest.Shared(t)
	clock := swarmtest.NewClock(time.Now())
	st, _ := newStore(t, url, clock.Now)
	ctx := t.Context()
	want := map[bittorrent.InfoHash]bittorrent.Counts{}
	for i := range 300 {
		var ih bittorrent.InfoHash
		binary.BigEndian.PutUint32(ih[:], uint32(i)*2654435761)
		ih[19] = byte(i)
		ttl := time.Hour
		if i%10 == 0 {
			ttl = time.Minute // these expire before the scrape
		}
		for p := range i%3 + 1 {
			announce(t, st, swarm.AnnounceRequest{InfoHash: ih, Peer: swarm.Peer{ID: bittorrent.PeerID{byte(p)}, Kind: swarm.WebRTC, Owner: 1}, Left: int64(p), TTL: ttl})
		}
		if i%10 != 0 {
			want[ih] = bittorrent.Counts{Complete: 1, Incomplete: i % 3}
		}
	}
	clock.Advance(2 * time.Minute)
	got := map[bittorrent.InfoHash]bittorrent.Counts{}
	if err := st.ScrapeAll(ctx, func(ih bittorrent.InfoHash, c bittorrent.Counts) bool {
		if _, dup := got[ih]; dup {
			t.Errorf("%s listed twice", ih)
		}
		got[ih] = c
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("listed %d swarms, want %d", len(got), len(want))
	}
	for ih, c := range want {
		if got[ih] != c {
			t.Errorf("%s: %+v, want %+v", ih, got[ih], c)
		}
	}
	n := 0
	if err := st.ScrapeAll(ctx, func(bittorrent.InfoHash, bittorrent.Counts) bool { n++; return n < 3 }); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("fn returning false did not stop the walk: %d calls", n)
	}
}

func TestKeyPrefixWithBraceRefused(t *testing.T) {
	_, err := redis.New(t.Context(), redis.Options{URL: "redis://127.0.0.1:1", KeyPrefix: "a{b}:"})
	if err == nil {
		t.Fatal("New accepted a prefix with braces")
	}
}
