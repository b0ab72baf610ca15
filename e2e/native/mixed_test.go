package native_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
	"github.com/swarmbridge/swarmbridge/trackerclient"
)

// TestMixedSwarmAllTransportsShareCounts puts one WebSocket, one HTTP and
// one UDP peer into the same swarm and checks docs/protocol.md §6 and §10.1:
// all three count everywhere, native peers get each other's addresses and
// never the WebSocket peer's, the WebSocket peer gets no address list,
// completions count once on every transport, and a UDP "stopped" removes
// exactly the UDP peer.
func TestMixedSwarmAllTransportsShareCounts(t *testing.T) {
	tr := trackerproc.Start(t, trackerBin)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	ih := awkwardID(t)
	wsID, httpID, udpID := awkwardID(t), awkwardID(t), awkwardID(t)
	const httpPort, udpPort = 40001, 40002
	loop := netip.MustParseAddr("127.0.0.1")
	httpPeer := netip.AddrPortFrom(loop, httpPort)
	udpPeer := netip.AddrPortFrom(loop, udpPort)

	// left values: the WebSocket peer seeds; the HTTP and UDP peers leech,
	// so the counts tell which transport's peer is where.
	const (
		wsLeft   = 0
		httpLeft = 123456
		udpLeft  = 654321
	)

	ws := dialWS(ctx, t, tr.WSURL())
	wsResp, raw, err := ws.announce(ctx, ih, wsID, wsLeft, bittorrent.EventStarted)
	if err != nil {
		t.Fatalf("ws announce: %v", err)
	}
	checkWSAnnounce(t, wsResp, raw, 1, 0)

	httpc := httpTracker(t, tr)
	hr, err := httpc.Announce(ctx, announceReq(ih, httpID, httpPort, httpLeft, bittorrent.EventStarted))
	if err != nil {
		t.Fatalf("http announce: %v", err)
	}
	if hr.Counts.Complete != 1 || hr.Counts.Incomplete != 1 || len(hr.Peers) != 0 {
		t.Fatalf("first HTTP announce: complete=%d incomplete=%d peers=%v; want 1, 1 (the WebSocket seeder and itself) and no peers", hr.Counts.Complete, hr.Counts.Incomplete, peerAddrs(hr))
	}

	udp := udpTracker(t, tr.UDPAddr)
	ur, err := udp.Announce(ctx, announceReq(ih, udpID, udpPort, udpLeft, bittorrent.EventStarted))
	if err != nil {
		t.Fatalf("udp announce: %v", err)
	}
	if ur.Counts.Complete != 1 || ur.Counts.Incomplete != 2 || !slices.Equal(peerAddrs(ur), []netip.AddrPort{httpPeer}) {
		t.Fatalf("first UDP announce: complete=%d incomplete=%d peers=%v; want 1, 2 and exactly [%v]", ur.Counts.Complete, ur.Counts.Incomplete, peerAddrs(ur), httpPeer)
	}

	if hr.Interval <= 0 || ur.Interval <= 0 {
		t.Errorf("announce intervals: HTTP %s, UDP %s; want positive", hr.Interval, ur.Interval)
	}

	// Regular re-announces: each native peer sees the other native peer
	// only; the WebSocket peer has no address to give.
	hr, err = httpc.Announce(ctx, announceReq(ih, httpID, httpPort, httpLeft, bittorrent.EventUpdate))
	if err != nil {
		t.Fatalf("http re-announce: %v", err)
	}
	if hr.Counts.Complete != 1 || hr.Counts.Incomplete != 2 || !slices.Equal(peerAddrs(hr), []netip.AddrPort{udpPeer}) {
		t.Fatalf("HTTP re-announce: complete=%d incomplete=%d peers=%v; want 1, 2 and exactly [%v]", hr.Counts.Complete, hr.Counts.Incomplete, peerAddrs(hr), udpPeer)
	}
	req := announceReq(ih, udpID, udpPort, udpLeft, bittorrent.EventUpdate)
	req.NumWant = 50
	ur, err = udp.Announce(ctx, req)
	if err != nil {
		t.Fatalf("udp re-announce: %v", err)
	}
	if ur.Counts.Complete != 1 || ur.Counts.Incomplete != 2 || !slices.Equal(peerAddrs(ur), []netip.AddrPort{httpPeer}) {
		t.Fatalf("UDP re-announce: complete=%d incomplete=%d peers=%v; want 1, 2 and exactly [%v]", ur.Counts.Complete, ur.Counts.Incomplete, peerAddrs(ur), httpPeer)
	}
	wsResp, raw, err = ws.announce(ctx, ih, wsID, wsLeft, bittorrent.EventUpdate)
	if err != nil {
		t.Fatalf("ws re-announce: %v", err)
	}
	checkWSAnnounce(t, wsResp, raw, 1, 2)

	checkScrapes(ctx, t, httpc, ws, udp, ih, bittorrent.Counts{Complete: 1, Incomplete: 2, Downloaded: 0}, "after all three joined")

	// The HTTP leecher completes: one download, and it moves to the seeders.
	hr, err = httpc.Announce(ctx, announceReq(ih, httpID, httpPort, 0, bittorrent.EventCompleted))
	if err != nil {
		t.Fatalf("http completed: %v", err)
	}
	if hr.Counts.Complete != 2 || hr.Counts.Incomplete != 1 {
		t.Fatalf("HTTP completed: complete=%d incomplete=%d; want 2, 1", hr.Counts.Complete, hr.Counts.Incomplete)
	}
	checkScrapes(ctx, t, httpc, ws, udp, ih, bittorrent.Counts{Complete: 2, Incomplete: 1, Downloaded: 1}, "after HTTP completed")

	// A retransmitted "completed" must not count a second download.
	if _, err := httpc.Announce(ctx, announceReq(ih, httpID, httpPort, 0, bittorrent.EventCompleted)); err != nil {
		t.Fatalf("http completed again: %v", err)
	}
	checkScrapes(ctx, t, httpc, ws, udp, ih, bittorrent.Counts{Complete: 2, Incomplete: 1, Downloaded: 1}, "after a repeated HTTP completed")

	// UDP stopped: only the UDP leecher leaves.
	ur, err = udp.Announce(ctx, announceReq(ih, udpID, udpPort, udpLeft, bittorrent.EventStopped))
	if err != nil {
		t.Fatalf("udp stopped: %v", err)
	}
	if len(ur.Peers) != 0 {
		t.Errorf("UDP stopped answered with peers %v; a leaving peer gets none", peerAddrs(ur))
	}
	checkScrapes(ctx, t, httpc, ws, udp, ih, bittorrent.Counts{Complete: 2, Incomplete: 0, Downloaded: 1}, "after UDP stopped")

	hr, err = httpc.Announce(ctx, announceReq(ih, httpID, httpPort, 0, bittorrent.EventUpdate))
	if err != nil {
		t.Fatalf("http announce after UDP stopped: %v", err)
	}
	if hr.Counts.Complete != 2 || hr.Counts.Incomplete != 0 || len(hr.Peers) != 0 {
		t.Fatalf("HTTP announce after UDP stopped: complete=%d incomplete=%d peers=%v; want 2, 0 and no peers (the UDP peer left, the WebSocket peer has no address)", hr.Counts.Complete, hr.Counts.Incomplete, peerAddrs(hr))
	}
	wsResp, raw, err = ws.announce(ctx, ih, wsID, wsLeft, bittorrent.EventUpdate)
	if err != nil {
		t.Fatalf("ws announce after UDP stopped: %v", err)
	}
	checkWSAnnounce(t, wsResp, raw, 2, 0)
}

// checkWSAnnounce checks a WebSocket announce response: right counts (the
// library matched it to the announce by its info_hash), an interval, and
// in the message as sent no address list of any kind (docs/protocol.md
// §5.2, §10.1).
func checkWSAnnounce(t *testing.T, r *trackerclient.AnnounceResponse, raw []byte, complete, incomplete int) {
	t.Helper()
	if r.Interval <= 0 || slices.Contains(r.Quirks, trackerclient.QuirkNoInterval) {
		t.Errorf("ws announce response %s: no interval", raw)
	}
	if r.Counts.Complete != complete || r.Counts.Incomplete != incomplete {
		t.Fatalf("ws announce response %s: complete=%d incomplete=%d; want %d, %d", raw, r.Counts.Complete, r.Counts.Incomplete, complete, incomplete)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("ws announce response %s: %v", raw, err)
	}
	for _, k := range []string{"peers", "peers6", "offer", "answer", "failure reason"} {
		if v, ok := m[k]; ok {
			t.Errorf("ws announce response carries %q: %s", k, v)
		}
	}
}

// checkScrapes scrapes ih over all three transports and wants the same
// counts from each.
func checkScrapes(ctx context.Context, t *testing.T, httpc *trackerclient.HTTPClient, ws *wsPeer, udp *trackerclient.UDPClient, ih id20, want bittorrent.Counts, when string) {
	t.Helper()
	for name, c := range map[string]trackerclient.Client{"http": httpc, "udp": udp, "ws": ws.c} {
		got, err := scrapeOne(ctx, c, ih)
		if err != nil {
			t.Fatalf("%s: %s scrape: %v", when, name, err)
		}
		if got != want {
			t.Errorf("%s: %s scrape = %+v, want %+v", when, name, got, want)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}
