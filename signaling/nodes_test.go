package signaling_test

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/signalstore"
	"github.com/swarmbridge/swarmbridge/internal/swarm/memory"
	"github.com/swarmbridge/swarmbridge/signaling"
)

// Two Handlers (nodes) share one store; a Router made of a map carries
// relays between them, copying them as a network would.
type mapRouter struct {
	mu     sync.Mutex
	nodes  map[uint16]*signaling.Handler
	routed []signaling.RelayKind
}

func (r *mapRouter) Route(rl *signaling.Relay) signaling.DropReason {
	r.mu.Lock()
	h := r.nodes[rl.To.Node()]
	r.routed = append(r.routed, rl.Kind)
	r.mu.Unlock()
	if h == nil {
		return signaling.DropTargetGone
	}
	cp := *rl
	cp.Message = bytes.Clone(rl.Message)
	h.Deliver(&cp)
	return 0
}

func (r *mapRouter) kinds() []signaling.RelayKind {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]signaling.RelayKind(nil), r.routed...)
}

func twoNodes(t *testing.T, obsB signaling.Observer) (a, b *tracker, rt *mapRouter) {
	t.Helper()
	shared := signalstore.New(memory.New(memory.Options{}), 5*time.Minute)
	rt = &mapRouter{nodes: map[uint16]*signaling.Handler{}}
	a = newTracker(t, func(c *signaling.Config) { c.Swarms, c.NodeID, c.Router = shared, 1, rt })
	b = newTracker(t, func(c *signaling.Config) {
		c.Swarms, c.NodeID, c.Router = shared, 2, rt
		if obsB != nil {
			c.Observer = obsB
		}
	})
	rt.nodes[1], rt.nodes[2] = a.h, b.h
	return a, b, rt
}

// An offer from a peer on one node reaches a peer on another, and its
// answer comes back, byte for byte as on one node; a second answer to the
// same offer, and an answer to an offer never relayed, are refused by the
// node that holds the answerer.
func TestOffersAndAnswersCrossNodes(t *testing.T) {
	obs := &recorder{}
	nodeA, nodeB, rt := twoNodes(t, obs)
	ih := randID()
	onB := nodeB.dial(t)
	bID := randID()
	onB.send(announce(ih, bID, "started", 0))
	expectAnnounceResponse(t, onB, ih)

	onA := nodeA.dial(t)
	aID := randID()
	offers := newOffers(1)
	onA.send(announce(ih, aID, "started", 100, offers...))
	if m := expectAnnounceResponse(t, onA, ih); m.num("complete") != 1 || m.num("incomplete") != 1 {
		t.Fatalf("counts across nodes: %v", m)
	}
	o := onB.next()
	if o.str("offer_id") != bin(offers[0].id) || !bytes.Equal(unbin(t, o.str("peer_id")), aID) ||
		o["offer"].(map[string]any)["sdp"] != offers[0].sdp {
		t.Fatalf("offer on the other node: %v", o)
	}
	const sdp = "v=0\r\na=answer-with-\u00e9-and-\"quotes\"\r\n"
	onB.send(answerMsg(ih, bID, aID, offers[0].id, sdp))
	ans := onA.next()
	if body, _ := ans["answer"].(map[string]any); ans.str("offer_id") != bin(offers[0].id) ||
		!bytes.Equal(unbin(t, ans.str("peer_id")), bID) || body["sdp"] != sdp || body["type"] != "answer" {
		t.Fatalf("answer from the other node: %v", ans)
	}
	if got := rt.kinds(); len(got) != 2 || got[0] != signaling.RelayOffer || got[1] != signaling.RelayAnswer {
		t.Fatalf("routed %v", got)
	}

	onB.send(answerMsg(ih, bID, aID, offers[0].id, sdp))
	expectFailure(t, onB, "announce", ih, "could not find the offer")
	onB.send(answerMsg(ih, bID, aID, randID(), sdp))
	expectFailure(t, onB, "announce", ih, "could not find the offer")
	if got := rt.kinds(); len(got) != 2 {
		t.Fatalf("refused answers were routed: %v", got)
	}
	if onA.sync() != nil {
		t.Fatal("the offerer got more than one answer")
	}
	if obs.dropped(signaling.DropNoOffer) != 2 {
		t.Fatalf("no_offer drops on the answerer's node: %d", obs.dropped(signaling.DropNoOffer))
	}
}

// A relay for a connection the receiving node no longer has is counted
// there as target_gone, and one the Router refuses is counted on the
// sending node with the Router's reason.
func TestRelaysToGoneConnectionsAreCounted(t *testing.T) {
	obs := &recorder{}
	nodeA, nodeB, rt := twoNodes(t, obs)
	ih := randID()
	onA := nodeA.dial(t)
	onA.send(announce(ih, randID(), "started", 0))
	expectAnnounceResponse(t, onA, ih)

	nodeB.h.Deliver(&signaling.Relay{Kind: signaling.RelayAnswer, To: signaling.ConnID(2<<48 | 12345), Message: []byte(`{}`)})
	if obs.dropped(signaling.DropTargetGone) != 1 {
		t.Fatal("a relay for a gone connection was not counted")
	}

	// Node 1 vanishes from the router: offers from node 2 to its peer
	// are refused by the Router and counted on node 2.
	rt.mu.Lock()
	delete(rt.nodes, 1)
	rt.mu.Unlock()
	onB := nodeB.dial(t)
	onB.send(announce(ih, randID(), "started", 0, newOffers(1)...))
	expectAnnounceResponse(t, onB, ih)
	onB.sync()
	if obs.dropped(signaling.DropTargetGone) != 2 {
		t.Fatalf("target_gone drops: %d, want 2", obs.dropped(signaling.DropTargetGone))
	}
}
