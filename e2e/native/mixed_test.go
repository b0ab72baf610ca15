package native_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
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
	wsResp, err := ws.announce(ctx, ih, wsID, wsLeft, "started")
	if err != nil {
		t.Fatalf("ws announce: %v", err)
	}
	checkWSAnnounce(t, wsResp, ih, 1, 0)

	hr, err := httpAnnounce(ctx, tr.HTTPURL(), httpAnnounceQuery(ih, httpID, httpPort, httpLeft, "started"))
	if err != nil {
		t.Fatalf("http announce: %v", err)
	}
	if hr.complete != 1 || hr.incomplete != 1 || len(hr.peers) != 0 {
		t.Fatalf("first HTTP announce: complete=%d incomplete=%d peers=%v; want 1, 1 (the WebSocket seeder and itself) and no peers", hr.complete, hr.incomplete, hr.peers)
	}

	udp := dialUDPTracker(t, tr.UDPAddr)
	ur, err := udp.announce(udpAnnounce{infoHash: ih, peerID: udpID, left: udpLeft, event: eventStarted, port: udpPort, numWant: -1})
	if err != nil {
		t.Fatalf("udp announce: %v", err)
	}
	if ur.complete != 1 || ur.incomplete != 2 || !slices.Equal(ur.peers, []netip.AddrPort{httpPeer}) {
		t.Fatalf("first UDP announce: complete=%d incomplete=%d peers=%v; want 1, 2 and exactly [%v]", ur.complete, ur.incomplete, ur.peers, httpPeer)
	}

	if hr.interval <= 0 || ur.interval <= 0 {
		t.Errorf("announce intervals: HTTP %d, UDP %d; want positive", hr.interval, ur.interval)
	}

	// Regular re-announces: each native peer sees the other native peer
	// only; the WebSocket peer has no address to give.
	hr, err = httpAnnounce(ctx, tr.HTTPURL(), httpAnnounceQuery(ih, httpID, httpPort, httpLeft, ""))
	if err != nil {
		t.Fatalf("http re-announce: %v", err)
	}
	if hr.complete != 1 || hr.incomplete != 2 || !slices.Equal(hr.peers, []netip.AddrPort{udpPeer}) {
		t.Fatalf("HTTP re-announce: complete=%d incomplete=%d peers=%v; want 1, 2 and exactly [%v]", hr.complete, hr.incomplete, hr.peers, udpPeer)
	}
	ur, err = udp.announce(udpAnnounce{infoHash: ih, peerID: udpID, left: udpLeft, event: eventNone, port: udpPort, numWant: 50})
	if err != nil {
		t.Fatalf("udp re-announce: %v", err)
	}
	if ur.complete != 1 || ur.incomplete != 2 || !slices.Equal(ur.peers, []netip.AddrPort{httpPeer}) {
		t.Fatalf("UDP re-announce: complete=%d incomplete=%d peers=%v; want 1, 2 and exactly [%v]", ur.complete, ur.incomplete, ur.peers, httpPeer)
	}
	wsResp, err = ws.announce(ctx, ih, wsID, wsLeft, "")
	if err != nil {
		t.Fatalf("ws re-announce: %v", err)
	}
	checkWSAnnounce(t, wsResp, ih, 1, 2)

	checkScrapes(ctx, t, tr, ws, udp, ih, scrapeCounts{complete: 1, incomplete: 2, downloaded: 0}, "after all three joined")

	// The HTTP leecher completes: one download, and it moves to the seeders.
	hr, err = httpAnnounce(ctx, tr.HTTPURL(), httpAnnounceQuery(ih, httpID, httpPort, 0, "completed"))
	if err != nil {
		t.Fatalf("http completed: %v", err)
	}
	if hr.complete != 2 || hr.incomplete != 1 {
		t.Fatalf("HTTP completed: complete=%d incomplete=%d; want 2, 1", hr.complete, hr.incomplete)
	}
	checkScrapes(ctx, t, tr, ws, udp, ih, scrapeCounts{complete: 2, incomplete: 1, downloaded: 1}, "after HTTP completed")

	// A retransmitted "completed" must not count a second download.
	if _, err := httpAnnounce(ctx, tr.HTTPURL(), httpAnnounceQuery(ih, httpID, httpPort, 0, "completed")); err != nil {
		t.Fatalf("http completed again: %v", err)
	}
	checkScrapes(ctx, t, tr, ws, udp, ih, scrapeCounts{complete: 2, incomplete: 1, downloaded: 1}, "after a repeated HTTP completed")

	// UDP stopped: only the UDP leecher leaves.
	ur, err = udp.announce(udpAnnounce{infoHash: ih, peerID: udpID, left: udpLeft, event: eventStopped, port: udpPort, numWant: -1})
	if err != nil {
		t.Fatalf("udp stopped: %v", err)
	}
	if len(ur.peers) != 0 {
		t.Errorf("UDP stopped answered with peers %v; a leaving peer gets none", ur.peers)
	}
	checkScrapes(ctx, t, tr, ws, udp, ih, scrapeCounts{complete: 2, incomplete: 0, downloaded: 1}, "after UDP stopped")

	hr, err = httpAnnounce(ctx, tr.HTTPURL(), httpAnnounceQuery(ih, httpID, httpPort, 0, ""))
	if err != nil {
		t.Fatalf("http announce after UDP stopped: %v", err)
	}
	if hr.complete != 2 || hr.incomplete != 0 || len(hr.peers) != 0 {
		t.Fatalf("HTTP announce after UDP stopped: complete=%d incomplete=%d peers=%v; want 2, 0 and no peers (the UDP peer left, the WebSocket peer has no address)", hr.complete, hr.incomplete, hr.peers)
	}
	wsResp, err = ws.announce(ctx, ih, wsID, wsLeft, "")
	if err != nil {
		t.Fatalf("ws announce after UDP stopped: %v", err)
	}
	checkWSAnnounce(t, wsResp, ih, 2, 0)
}

// checkWSAnnounce checks a WebSocket announce response: right swarm and
// counts, and no address list of any kind (docs/protocol.md §5.2, §10.1).
func checkWSAnnounce(t *testing.T, m map[string]json.RawMessage, ih id20, complete, incomplete int64) {
	t.Helper()
	s, err := jsonString(m, "info_hash")
	if err != nil {
		t.Fatalf("ws announce response %v: %v", m, err)
	}
	if got, err := parseBinaryString(s); err != nil || got != ih {
		t.Fatalf("ws announce response for info_hash %q (%v), want %x", s, err, ih)
	}
	if _, err := jsonInt(m, "interval"); err != nil {
		t.Errorf("ws announce response: %v", err)
	}
	c, err1 := jsonInt(m, "complete")
	i, err2 := jsonInt(m, "incomplete")
	if err1 != nil || err2 != nil || c != complete || i != incomplete {
		t.Fatalf("ws announce response %v: complete=%d (%v) incomplete=%d (%v); want %d, %d", m, c, err1, i, err2, complete, incomplete)
	}
	for _, k := range []string{"peers", "peers6", "offer", "answer", "failure reason"} {
		if v, ok := m[k]; ok {
			t.Errorf("ws announce response carries %q: %s", k, v)
		}
	}
}

// checkScrapes scrapes ih over all three transports and wants the same
// counts from each.
func checkScrapes(ctx context.Context, t *testing.T, tr *trackerproc.Tracker, ws *wsPeer, udp *udpClient, ih id20, want scrapeCounts, when string) {
	t.Helper()
	hs, err := httpScrape(ctx, tr.HTTPURL(), ih)
	if err != nil {
		t.Fatalf("%s: http scrape: %v", when, err)
	}
	us, err := udp.scrape(ih)
	if err != nil {
		t.Fatalf("%s: udp scrape: %v", when, err)
	}
	wss, err := ws.scrape(ctx, ih)
	if err != nil {
		t.Fatalf("%s: ws scrape: %v", when, err)
	}
	for name, got := range map[string]scrapeCounts{"http": hs[0], "udp": us[0], "ws": wss} {
		if got != want {
			t.Errorf("%s: %s scrape = %+v, want %+v", when, name, got, want)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}
