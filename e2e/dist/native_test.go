package dist_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/testkit/redistest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/wspeer"
	"github.com/swarmbridge/swarmbridge/trackerclient"
)

// An HTTP peer announcing to node A and a UDP peer announcing to node B
// get each other's address; WebSocket peers on A and B count in the same
// swarm; and a scrape on node C, over HTTP, UDP and WebSocket alike, counts
// every one of them, completions included.
func TestNativeAndBrowserPeersShareSwarmsAcrossNodes(t *testing.T) {
	// Nothing here depends on timing: it may share the machine with
	// the other parallel test.
	t.Parallel()
	nodes := startNodes(t, redistest.StartServer(t).URL())
	ctx := t.Context()
	ih := wspeer.NewID()
	httpPeer := newClient(t, httpAnnounce(nodes[0]))
	udpPeer := newClient(t, udpAnnounce(nodes[1]))
	httpID, udpID := bittorrent.PeerID(wspeer.NewID()), bittorrent.PeerID(wspeer.NewID())
	httpAddr := netip.MustParseAddrPort("127.0.0.1:6001")
	udpAddr := netip.MustParseAddrPort("127.0.0.1:6002")
	announce := func(c trackerclient.Client, id bittorrent.PeerID, port uint16, left int64, ev bittorrent.Event) *trackerclient.AnnounceResponse {
		t.Helper()
		r, err := c.Announce(ctx, trackerclient.AnnounceRequest{InfoHash: bittorrent.InfoHash(ih), PeerID: id, Port: port, Left: left, Event: ev})
		if err != nil {
			t.Fatalf("announce of port %d: %v", port, err)
		}
		return r
	}
	peersOf := func(r *trackerclient.AnnounceResponse) []netip.AddrPort {
		var out []netip.AddrPort
		for _, p := range r.Peers {
			out = append(out, p.Addr)
		}
		return out
	}

	if r := announce(httpPeer, httpID, httpAddr.Port(), 100, bittorrent.EventStarted); len(r.Peers) != 0 || r.Counts.Incomplete != 1 {
		t.Fatalf("the HTTP peer's first announce on node A: %+v", r)
	}
	// A browser seeder on A and a browser leecher on B.
	wsSeed := wspeer.Dial(t, nodes[0].WSURL())
	wsSeed.Send(wspeer.Announce(ih, wspeer.NewID(), "started", 0))
	if m := wsSeed.Next(10 * time.Second); m.Num("complete") != 1 || m.Num("incomplete") != 1 {
		t.Fatalf("the WebSocket seeder on node A: %v", m)
	}
	wsLeech := wspeer.Dial(t, nodes[1].WSURL())
	leechID := wspeer.NewID()
	wsLeech.Send(wspeer.Announce(ih, leechID, "started", 10))
	if m := wsLeech.Next(10 * time.Second); m.Num("complete") != 1 || m.Num("incomplete") != 2 {
		t.Fatalf("the WebSocket leecher on node B: %v", m)
	}

	// Native peer lists hold native peers only, whichever node they used.
	r := announce(udpPeer, udpID, udpAddr.Port(), 50, bittorrent.EventStarted)
	if got := peersOf(r); len(got) != 1 || got[0] != httpAddr || r.Counts.Complete != 1 || r.Counts.Incomplete != 3 {
		t.Fatalf("the UDP peer on node B got peers %v and counts %+v, want [%v] and 1 seeder, 3 leechers", got, r.Counts, httpAddr)
	}
	r = announce(httpPeer, httpID, httpAddr.Port(), 0, bittorrent.EventCompleted)
	if got := peersOf(r); len(got) != 1 || got[0] != udpAddr || r.Counts.Complete != 2 || r.Counts.Incomplete != 2 {
		t.Fatalf("the HTTP peer on node A got peers %v and counts %+v, want [%v] and 2 seeders, 2 leechers", got, r.Counts, udpAddr)
	}
	wsLeech.Send(wspeer.Announce(ih, leechID, "completed", 0))
	if m := wsLeech.Next(10 * time.Second); m.Num("complete") != 3 || m.Num("incomplete") != 1 {
		t.Fatalf("the WebSocket leecher's completion on node B: %v", m)
	}

	// Node C took no announce at all.
	want := bittorrent.Counts{Complete: 3, Incomplete: 1, Downloaded: 2}
	for _, url := range []string{httpAnnounce(nodes[2]), udpAnnounce(nodes[2]), nodes[2].WSURL()} {
		sr, err := newClient(t, url).Scrape(ctx, []bittorrent.InfoHash{bittorrent.InfoHash(ih)})
		if err != nil {
			t.Fatalf("scrape %s: %v", url, err)
		}
		if got := sr.Files[bittorrent.InfoHash(ih)]; got != want {
			t.Errorf("scrape %s on node C: %+v, want %+v", url, got, want)
		}
	}
}
