package redis_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"

	"github.com/swarmbridge/swarmbridge/internal/swarm"
	"github.com/swarmbridge/swarmbridge/internal/swarm/redis"
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

func TestKeyPrefixWithBraceRefused(t *testing.T) {
	_, err := redis.New(t.Context(), redis.Options{URL: "redis://127.0.0.1:1", KeyPrefix: "a{b}:"})
	if err == nil {
		t.Fatal("New accepted a prefix with braces")
	}
}
