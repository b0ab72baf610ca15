package dist_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/testkit/redistest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/wtpeer"
)

// Two WebRTC peers, one connected to node A and one to node B, are
// introduced through Redis: B's offer reaches A on another node, A's
// answer comes back to B, and the two open a data channel and pass bytes
// both ways.
func TestWebRTCPeersOnTwoNodesConnect(t *testing.T) {
	// Nothing here depends on timing: it may share the machine with
	// the other parallel test.
	t.Parallel()
	nodes := startNodes(t, redistest.StartServer(t).URL())
	tr := wtpeer.NewTranscript(t)
	// Generous: DTLS and SCTP under -race on a busy 2-core machine. The
	// test never asserts on speed.
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()

	ih := wtpeer.NewID()
	onOpenA, openedA := wtpeer.OpenedLinks()
	onOpenB, openedB := wtpeer.OpenedLinks()
	a := wtpeer.Dial(ctx, t, nodes[0].WSURL(), tr, wtpeer.Options{Name: "A@node0", InfoHash: ih, PeerID: wtpeer.WebTorrentPeerID(), OnOpen: onOpenA})
	b := wtpeer.Dial(ctx, t, nodes[1].WSURL(), tr, wtpeer.Options{Name: "B@node1", InfoHash: ih, PeerID: wtpeer.WebTorrentPeerID(), OnOpen: onOpenB})

	seed := int64(0)
	resp, err := a.Announce(ctx, wtpeer.AnnounceOptions{Event: bittorrent.EventStarted, Left: &seed, Offers: 1})
	if err != nil || resp.Counts != (bittorrent.Counts{Complete: 1}) {
		t.Fatalf("A's announce on node 0: %v %+v", err, resp)
	}
	leech := int64(1 << 20)
	resp, err = b.Announce(ctx, wtpeer.AnnounceOptions{Event: bittorrent.EventStarted, Left: &leech, Offers: 1})
	if err != nil || resp.Counts != (bittorrent.Counts{Complete: 1, Incomplete: 1}) {
		t.Fatalf("B's announce on node 1: %v %+v", err, resp)
	}

	la := wtpeer.WaitOpened(ctx, t, "A", openedA)
	lb := wtpeer.WaitOpened(ctx, t, "B", openedB)
	if la.Initiator() || !lb.Initiator() || la.OfferID() != lb.OfferID() {
		t.Fatalf("links do not match: A has %s, B has %s", la, lb)
	}
	if offers := a.ReceivedOffers(); len(offers) != 1 || offers[0].From != b.PeerID() {
		t.Fatalf("A received offers %v, want exactly B's", offers)
	}

	const size = 16 << 10 // one data channel message
	toB, toA := make([]byte, size), make([]byte, size)
	_, _ = rand.Read(toB)
	_, _ = rand.Read(toA)
	if err := la.DataChannel().Send(toB); err != nil {
		t.Fatal(err)
	}
	if err := lb.DataChannel().Send(toA); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		who  string
		l    *wtpeer.Link
		want []byte
	}{{"B", lb, toB}, {"A", la, toA}} {
		got, err := c.l.WaitBytes(ctx, size)
		if err != nil {
			t.Fatalf("%s: %v (%s)", c.who, err, c.l.State())
		}
		if !bytes.Equal(got, c.want) {
			t.Fatalf("%s received %d bytes that differ from the %d sent", c.who, len(got), len(c.want))
		}
	}
	wtpeer.CheckNoProblems(t, a, b)
}
