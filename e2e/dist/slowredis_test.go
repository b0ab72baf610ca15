package dist_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/testkit/redistest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/wspeer"
	"github.com/swarmbridge/swarmbridge/trackerclient"
)

// A Redis that stops answering (DEBUG SLEEP: the port open, nothing
// coming back) for longer than SWARMBRIDGE_REDIS_TIMEOUT holds up no
// client: announces fail within the timeout, not when Redis wakes up;
// pings, and an answer between two connections of one node, go through
// as if nothing happened; and when Redis answers again, so does every
// node, relaying between nodes again.
func TestNodesServeThroughASlowRedis(t *testing.T) {
	const sleep = 7 * time.Second // far more than the 1 s timeout
	srv := redistest.StartServer(t, redistest.DebugArgs...)
	nodes := startNodes(t, srv.URL(), "SWARMBRIDGE_REDIS_TIMEOUT=1s")
	a, b := nodes[0], nodes[1]
	ih := wspeer.NewID()
	onA, onB := wspeer.Dial(t, a.WSURL()), wspeer.Dial(t, b.WSURL())
	aID, bID := wspeer.NewID(), wspeer.NewID()
	onB.Send(wspeer.Announce(ih, bID, "started", 0))
	onB.Next(10 * time.Second)
	onA.Send(wspeer.Announce(ih, aID, "started", 10))
	onA.Next(10 * time.Second)
	// Two peers of another swarm on node A: y's offer reaches x before
	// Redis stalls, and x answers while it sleeps.
	ih2 := wspeer.NewID()
	x, y := wspeer.Dial(t, a.WSURL()), wspeer.Dial(t, a.WSURL())
	xID, yID := wspeer.NewID(), wspeer.NewID()
	x.Send(wspeer.Announce(ih2, xID, "started", 0))
	x.Next(10 * time.Second)
	yOffers := wspeer.NewOffers(1)
	y.Send(wspeer.Announce(ih2, yID, "started", 10, yOffers...))
	y.Next(10 * time.Second)
	if o := x.Next(10 * time.Second); o.Str("offer_id") != yOffers[0].ID.Bin() {
		t.Fatalf("x got %v, want y's offer", o)
	}
	httpPeer := newClient(t, httpAnnounce(b))

	wait := srv.Sleep(sleep)
	asleep := time.Now()
	for _, p := range []*wspeer.Peer{onA, onB, x, y} {
		if err := p.Ping(5 * time.Second); err != nil {
			t.Fatalf("a ping while Redis sleeps: %v", err)
		}
	}
	x.Send(wspeer.Answer(ih2, xID, yID, yOffers[0].ID, "v=0 local"))
	if ans := y.Next(5 * time.Second); ans.Str("offer_id") != yOffers[0].ID.Bin() {
		t.Fatalf("an answer between two connections of node A while Redis sleeps: %v", ans)
	}
	onA.Send(wspeer.Announce(ih, aID, "", 10, wspeer.NewOffers(1)...))
	if m := onA.Next(10 * time.Second); m.Str("failure reason") != unavailable {
		t.Fatalf("a WebSocket announce while Redis sleeps got %v", m)
	}
	// Another swarm: a call that timed out may still be carried out when
	// Redis wakes up, and the counts below are of ih.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	_, err := httpPeer.Announce(ctx, trackerclient.AnnounceRequest{InfoHash: bittorrent.InfoHash(wspeer.NewID()), PeerID: bittorrent.PeerID(wspeer.NewID()), Port: 6001, Left: 1})
	cancel()
	var fe *trackerclient.FailureError
	if !errors.As(err, &fe) || fe.RetryIn != time.Minute {
		t.Fatalf("an HTTP announce while Redis sleeps: %v, want a failure reason with retry in 1 minute", err)
	}
	if code, body := get(t, a, "/readyz"); code != 503 || !strings.Contains(body, "swarm store unreachable") {
		t.Fatalf("/readyz while Redis sleeps: %d %q", code, body)
	}
	// Each failure took about the 1 s timeout: had the tracker waited for
	// Redis instead, they would have come after it woke up.
	if d := time.Since(asleep); d >= sleep {
		t.Fatalf("the checks above ended %v after Redis fell asleep for %v: something waited for it", d, sleep)
	}

	wait()
	waitCluster(t, nodes...)
	wantRelayAcrossNodes(t, "after Redis woke", ih, aID, bID, onA, onB)
}
