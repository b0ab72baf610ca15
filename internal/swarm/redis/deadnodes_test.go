package redis_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"

	"github.com/swarmbridge/swarmbridge/internal/swarm"
	"github.com/swarmbridge/swarmbridge/internal/testkit/redistest"
)

// nodes packs node ids as SkipDeadNodes wants them.
func nodes(ids ...uint16) string {
	b := make([]byte, 0, 2*len(ids))
	for _, id := range ids {
		b = append(b, byte(id>>8), byte(id))
	}
	return string(b)
}

// owner is connection seq on node, as signaling allocates ConnIDs.
func owner(node uint16, seq uint64) swarm.Owner { return swarm.Owner(uint64(node)<<48 | seq) }

// With SkipDeadNodes, announces hand out only WebRTC peers bound to live
// nodes, however many peers of dead nodes the swarm holds, while counts
// still include every entry until it leaves or expires.
func TestPicksSkipPeersOfDeadNodes(t *testing.T) {
	url := redistest.Shared(t)
	st, _ := newStore(t, url, nil)
	var live atomic.Value
	live.Store(nodes(1, 2, 0x0301))
	st.SkipDeadNodes(func() string { return live.Load().(string) })

	ih := bittorrent.InfoHash{0xde, 0xad}
	onNode := map[swarm.Owner]uint16{}
	add := func(node uint16, n int) {
		for i := range n {
			p := swarm.Peer{Kind: swarm.WebRTC, Owner: owner(node, uint64(1000+len(onNode)))}
			p.ID[0], p.ID[1], p.ID[2] = byte(node>>8), byte(node), byte(i)
			onNode[p.Owner] = node
			announce(t, st, swarm.AnnounceRequest{InfoHash: ih, Peer: p, Left: 1, TTL: time.Hour})
		}
	}
	add(1, 3)
	add(2, 200)    // a big node that will die
	add(0x0301, 2) // an id whose bytes are not both small
	asker := swarm.Peer{ID: bittorrent.PeerID{9}, Kind: swarm.WebRTC, Owner: owner(1, 1)}

	picks := func(want int) map[uint16]int {
		res := announce(t, st, swarm.AnnounceRequest{InfoHash: ih, Peer: asker, Left: 1, TTL: time.Hour, NumWant: want})
		seen := map[swarm.Owner]bool{}
		by := map[uint16]int{}
		for _, p := range res.Peers {
			if seen[p.Owner] || p.Owner == asker.Owner {
				t.Fatalf("picked %#x twice or the asker itself", p.Owner)
			}
			seen[p.Owner] = true
			by[onNode[p.Owner]]++
		}
		if res.Counts.Incomplete != 206 {
			t.Fatalf("incomplete = %d, want 206 (dead nodes' peers still count)", res.Counts.Incomplete)
		}
		return by
	}
	if by := picks(10); by[1]+by[2]+by[0x0301] != 10 {
		t.Fatalf("all nodes live: picked %v, want 10", by)
	}
	live.Store(nodes(1, 0x0301))
	for range 20 {
		by := picks(10)
		if by[2] != 0 || by[1] != 3 || by[0x0301] != 2 {
			t.Fatalf("node 2 dead: picked %v, want the 3 peers of node 1 and the 2 of node 0x0301", by)
		}
	}
	if by := picks(2); by[2] != 0 || by[1]+by[0x0301] != 2 {
		t.Fatalf("node 2 dead, 2 wanted: picked %v", by)
	}
	live.Store("")
	if by := picks(50); by[2] == 0 {
		t.Fatalf("no filter: node 2's peers never picked: %v", by)
	}
}
