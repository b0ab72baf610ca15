package dist_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/testkit/redistest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/wspeer"
	"github.com/swarmbridge/swarmbridge/trackerclient"
)

// unavailable is what a WebSocket client is told while Redis cannot be
// reached (README, "Running several nodes").
const unavailable = "tracker temporarily unavailable, try again later"

// While Redis is down every client gets an answer it can read, at once:
// WebSocket announces and scrapes "tracker temporarily unavailable",
// HTTP a failure reason with retry in 1 minute, UDP an error packet; the
// WebSocket connections stay open and answer pings, and /readyz says why
// the node is not ready. When Redis comes back on the same port (empty:
// it keeps nothing on disk), every node carries on by itself: ready,
// registered, announces served and relayed between nodes.
func TestNodesRideOutARedisRestart(t *testing.T) {
	srv := redistest.StartServer(t)
	nodes := startNodes(t, srv.URL(), "SWARMBRIDGE_REDIS_TIMEOUT=1s")
	a, b, c := nodes[0], nodes[1], nodes[2]
	ih := wspeer.NewID()
	onA, onB := wspeer.Dial(t, a.WSURL()), wspeer.Dial(t, b.WSURL())
	aID, bID := wspeer.NewID(), wspeer.NewID()
	onB.Send(wspeer.Announce(ih, bID, "started", 0))
	onB.Next(10 * time.Second)
	onA.Send(wspeer.Announce(ih, aID, "started", 10))
	onA.Next(10 * time.Second)
	httpPeer := newClient(t, httpAnnounce(a))
	udpPeer := newClient(t, udpAnnounce(c))
	nativeAnnounce := func(cl trackerclient.Client, port uint16) (*trackerclient.AnnounceResponse, error) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		var id bittorrent.PeerID // each native peer is its port
		copy(id[:], fmt.Sprintf("-XX0001-port%08d", port))
		return cl.Announce(ctx, trackerclient.AnnounceRequest{InfoHash: bittorrent.InfoHash(ih), PeerID: id, Port: port, Left: 5})
	}
	if _, err := nativeAnnounce(httpPeer, 6001); err != nil {
		t.Fatalf("HTTP, before the outage: %v", err)
	}
	if r, err := nativeAnnounce(udpPeer, 6002); err != nil || len(r.Peers) != 1 {
		t.Fatalf("UDP, before the outage: %v %+v", err, r)
	}

	srv.Stop()
	onA.Send(wspeer.Announce(ih, aID, "", 10, wspeer.NewOffers(1)...))
	if m := onA.Next(10 * time.Second); m.Str("failure reason") != unavailable {
		t.Fatalf("a WebSocket announce with Redis down got %v", m)
	}
	onB.Send(wspeer.Scrape(ih))
	if m := onB.Next(10 * time.Second); m.Str("failure reason") != unavailable {
		t.Fatalf("a WebSocket scrape with Redis down got %v", m)
	}
	_, err := nativeAnnounce(httpPeer, 6001)
	var fe *trackerclient.FailureError
	if !errors.As(err, &fe) || fe.Reason == "" || fe.RetryIn != time.Minute {
		t.Fatalf("an HTTP announce with Redis down: %v, want a failure reason with retry in 1 minute", err)
	}
	_, err = nativeAnnounce(udpPeer, 6002)
	if !errors.As(err, &fe) || fe.Reason == "" {
		t.Fatalf("a UDP announce with Redis down: %v, want an error packet", err)
	}
	for _, p := range []*wspeer.Peer{onA, onB} {
		if err := p.Ping(5 * time.Second); err != nil {
			t.Fatalf("a ping with Redis down: %v", err)
		}
	}
	// Down for longer than a node's registration lasts (3 s), so that
	// the nodes come back with no registration left at all.
	for _, n := range nodes {
		waitStatus(t, n, "/readyz", 503, "swarm store unreachable")
		waitStatus(t, n, "/readyz", 503, "cluster heartbeat failing")
	}

	srv.Start()
	// Ready again means a heartbeat went through since; every node
	// counting three means each has registered again.
	waitCluster(t, nodes...)
	for _, n := range nodes {
		waitFor(t, 10*time.Second, "the log to say when the heartbeat failed and when it recovered", func() bool {
			l := n.Logs()
			return strings.Contains(l, "redis unreachable: cluster heartbeat failed") && strings.Contains(l, "cluster heartbeat recovered")
		})
	}
	// Redis came back empty: the peers are back with their next announce.
	onB.Send(wspeer.Announce(ih, bID, "", 0))
	if m := onB.Next(10 * time.Second); m.Num("complete") != 1 || m.Num("incomplete") != 0 {
		t.Fatalf("B's peer's first announce after the restart: %v", m)
	}
	wantRelayAcrossNodes(t, "after the restart", ih, aID, bID, onA, onB)
	if _, err := nativeAnnounce(httpPeer, 6001); err != nil {
		t.Fatalf("an HTTP announce after the restart: %v", err)
	}
	r, err := nativeAnnounce(udpPeer, 6002)
	if err != nil || len(r.Peers) != 1 || r.Peers[0].Addr != netip.MustParseAddrPort("127.0.0.1:6001") {
		t.Fatalf("a UDP announce after the restart: %v %+v, want the HTTP peer", err, r)
	}
	if code, body := get(t, c, "/metrics"); code != 200 || !strings.Contains(body, `swarmbridge_store_errors_total{op="announce"}`) {
		t.Fatalf("/metrics does not count the failed calls:\n%s", body)
	}
}
