package cluster_test

import (
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/redistest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/wspeer"
	"github.com/swarmbridge/swarmbridge/signaling"
)

// relayAcross has a peer on node a offer to a peer on node b, and checks
// the frames each sees: the offer on b, the answer back on a, and a
// refused answer to an offer never relayed.
func relayAcross(t *testing.T, a, b *node) {
	t.Helper()
	if a.node.ID() == b.node.ID() || a.node.ID() == 0 {
		t.Fatalf("node ids %d and %d", a.node.ID(), b.node.ID())
	}
	ih := wspeer.NewID()
	onB := wspeer.Dial(t, b.ws)
	bID := wspeer.NewID()
	onB.Send(wspeer.Announce(ih, bID, "started", 0))
	if m := onB.Next(5 * time.Second); m.Str("action") != "announce" || m.Num("complete") != 1 {
		t.Fatalf("b's announce: %v", m)
	}

	onA := wspeer.Dial(t, a.ws)
	aID := wspeer.NewID()
	offers := wspeer.NewOffers(1)
	onA.Send(wspeer.Announce(ih, aID, "started", 100, offers...))
	if m := onA.Next(5 * time.Second); m.Num("complete") != 1 || m.Num("incomplete") != 1 {
		t.Fatalf("a's announce does not count b's peer: %v", m)
	}
	o := onB.Next(5 * time.Second)
	if o.Str("offer_id") != offers[0].ID.Bin() || o.Str("peer_id") != aID.Bin() || o.Str("info_hash") != ih.Bin() ||
		o["offer"].(map[string]any)["sdp"] != offers[0].SDP {
		t.Fatalf("the offer on node b: %v", o)
	}
	const sdp = "v=0\r\na=answer-\u00e9-\"quoted\"\r\n"
	onB.Send(wspeer.Answer(ih, bID, aID, offers[0].ID, sdp))
	ans := onA.Next(5 * time.Second)
	body, _ := ans["answer"].(map[string]any)
	if ans.Str("offer_id") != offers[0].ID.Bin() || ans.Str("peer_id") != bID.Bin() || body["sdp"] != sdp || body["type"] != "answer" {
		t.Fatalf("the answer on node a: %v", ans)
	}

	// An answer to an offer node b never relayed is refused there, and
	// nothing reaches a.
	onB.Send(wspeer.Answer(ih, bID, aID, wspeer.NewID(), sdp))
	if f := onB.Next(5 * time.Second); f.Str("failure reason") == "" {
		t.Fatalf("want a failure for an answer to no offer, got %v", f)
	}
	if m, quiet := onA.Quiet(300 * time.Millisecond); !quiet {
		t.Fatalf("the offerer got %v", m)
	}
}

func TestRelayAcrossNodes(t *testing.T) {
	url := redistest.Shared(t)
	prefix := redistest.Prefix(t)
	cleanKeys(t, url, prefix)
	a := startNode(t, url, prefix, nodeOpts{})
	b := startNode(t, url, prefix, nodeOpts{})
	seeEachOther(t, a, b)
	relayAcross(t, a, b)
	relayAcross(t, b, a)
}

func TestRelayAcrossNodesOnRedisCluster(t *testing.T) {
	c := redistest.StartCluster(t, 3)
	prefix := redistest.Prefix(t)
	a := startNode(t, c.URL(), prefix, nodeOpts{})
	b := startNode(t, c.URL(), prefix, nodeOpts{})
	seeEachOther(t, a, b)
	relayAcross(t, a, b)
	relayAcross(t, b, a)
}

// Every node counts the WebSocket connections of the whole cluster, as of
// the last heartbeats.
func TestStatusCountsTheWholeCluster(t *testing.T) {
	url := redistest.Shared(t)
	prefix := redistest.Prefix(t)
	cleanKeys(t, url, prefix)
	o := nodeOpts{heartbeat: 50 * time.Millisecond}
	a := startNode(t, url, prefix, o)
	b := startNode(t, url, prefix, o)
	wspeer.Dial(t, a.ws)
	wspeer.Dial(t, a.ws)
	wspeer.Dial(t, b.ws)
	for _, n := range []*node{a, b} {
		waitFor(t, 2*time.Second, func() bool {
			st := n.node.Status()
			return st.Nodes == 2 && st.WebSocketConns == 3
		})
	}
	b.stop()
	waitFor(t, 2*time.Second, func() bool {
		st := a.node.Status()
		return st.Nodes == 1 && st.WebSocketConns == 2
	})
}

// A node that dies (its heartbeats stop, and it cannot say goodbye) has
// its peers stop being offered within TTL + Heartbeat, while they still
// count; its clients that reconnect to another node carry on there.
func TestPeersOfADeadNodeStopBeingOffered(t *testing.T) {
	url := redistest.Shared(t)
	prefix := redistest.Prefix(t)
	cleanKeys(t, url, prefix)
	o := nodeOpts{heartbeat: 100 * time.Millisecond, ttl: 300 * time.Millisecond}
	a := startNode(t, url, prefix, o)
	b := startNode(t, url, prefix, o)
	seeEachOther(t, a, b)
	ih := wspeer.NewID()
	onB := wspeer.Dial(t, b.ws)
	bID := wspeer.NewID()
	onB.Send(wspeer.Announce(ih, bID, "started", 0))
	onB.Next(5 * time.Second)

	onA := wspeer.Dial(t, a.ws)
	aID := wspeer.NewID()
	onA.Send(wspeer.Announce(ih, aID, "started", 1, wspeer.NewOffers(1)...))
	onA.Next(5 * time.Second)
	if m := onB.Next(5 * time.Second); m.Str("offer_id") == "" {
		t.Fatalf("node b's peer got %v, want an offer", m)
	}

	died := time.Now()
	b.kill()
	bound := o.ttl + o.heartbeat
	// The only other peer of the swarm is b's: an announce of a's peer
	// either picks it (and the offer is lost) or finds no target.
	for {
		before := a.obs.dropped(signaling.DropNoTarget)
		onA.Send(wspeer.Announce(ih, aID, "", 1, wspeer.NewOffers(1)...))
		onA.Next(5 * time.Second)
		if a.obs.dropped(signaling.DropNoTarget) == before+1 {
			break
		}
		if time.Since(died) > bound+time.Second {
			t.Fatalf("node b's peer was still offered %v after b died; the bound is %v", time.Since(died), bound)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("offers stopped %v after the node died (bound %v)", time.Since(died), bound)
	if c, i := onA.ScrapeCounts(ih); c+i != 2 {
		t.Fatalf("scrape counts %d+%d, want b's peer still counted until it expires", c, i)
	}

	// b's client reconnects to a and announces again: its entry moves to
	// the new connection (last announcer wins) and it is offered again,
	// and its answer reaches the offerer.
	moved := wspeer.Dial(t, a.ws)
	moved.Send(wspeer.Announce(ih, bID, "", 0))
	if m := moved.Next(5 * time.Second); m.Num("complete")+m.Num("incomplete") != 2 {
		t.Fatalf("the reconnected peer's announce: %v", m)
	}
	offers := wspeer.NewOffers(1)
	onA.Send(wspeer.Announce(ih, aID, "", 1, offers...))
	onA.Next(5 * time.Second)
	if o := moved.Next(5 * time.Second); o.Str("offer_id") != offers[0].ID.Bin() {
		t.Fatalf("the reconnected peer got %v", o)
	}
	moved.Send(wspeer.Answer(ih, bID, aID, offers[0].ID, "v=0"))
	if ans := onA.Next(5 * time.Second); ans.Str("offer_id") != offers[0].ID.Bin() {
		t.Fatalf("the answer of the reconnected peer: %v", ans)
	}
}
