package native_test

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/anacrolix/torrent/tracker"
	"github.com/anacrolix/torrent/types/infohash"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
)

// requireIPv6Loopback skips the test when [::1] cannot be bound for TCP
// and UDP (e.g. a container without IPv6).
func requireIPv6Loopback(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("skipping: cannot bind TCP on [::1]: %v", err)
	}
	_ = ln.Close()
	pc, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skipf("skipping: cannot bind UDP on [::1]: %v", err)
	}
	_ = pc.Close()
}

// TestIPv6AnacrolixTrackerClient runs the tracker on [::1] only and drives
// it with anacrolix/torrent's own tracker client (an implementation the
// team did not write) over UDP and HTTP: peers announced over one
// transport come back over the other as [::1] with their ports (18-byte
// UDP entries, BEP 7 peers6 over HTTP), and scrapes over both agree.
func TestIPv6AnacrolixTrackerClient(t *testing.T) {
	requireIPv6Loopback(t)
	tr := trackerproc.Start(t, trackerBin, "SWARMBRIDGE_HTTP_ADDR=[::1]:0", "SWARMBRIDGE_UDP_ADDR=[::1]:0")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	udpURL := "udp://" + tr.UDPAddr + "/announce"
	httpURL := tr.HTTPURL() + "/announce"
	for _, a := range []string{tr.HTTPAddr, tr.UDPAddr} {
		if ap, err := netip.ParseAddrPort(a); err != nil || ap.Addr() != netip.IPv6Loopback() {
			t.Fatalf("tracker bound %q, want [::1]:port", a)
		}
	}
	newClient := func(url string) tracker.Client {
		cl, err := tracker.NewClient(url, tracker.NewClientOpts{})
		if err != nil {
			t.Fatalf("tracker.NewClient(%s): %v", url, err)
		}
		t.Cleanup(func() { _ = cl.Close() })
		return cl
	}
	udpCl, httpCl := newClient(udpURL), newClient(httpURL)

	ih := randomID(t)
	seedID, leechID := randomID(t), randomID(t)
	const seedPort, leechPort = 45001, 45002
	v6 := netip.MustParseAddr("::1")
	seedAddr, leechAddr := netip.AddrPortFrom(v6, seedPort), netip.AddrPortFrom(v6, leechPort)

	announce := func(cl tracker.Client, pid id20, port uint16, left int64, ev tracker.AnnounceEvent) tracker.AnnounceResponse {
		t.Helper()
		actx, acancel := context.WithTimeout(ctx, 30*time.Second)
		defer acancel()
		res, err := cl.Announce(actx, tracker.AnnounceRequest{
			InfoHash: ih, PeerId: pid, Left: left, Event: ev, NumWant: -1, Port: port, Key: 7,
		}, tracker.AnnounceOpt{})
		if err != nil {
			t.Fatalf("announce: %v", err)
		}
		return res
	}
	peersOf := func(res tracker.AnnounceResponse) []netip.AddrPort {
		var out []netip.AddrPort
		for _, p := range res.Peers {
			ap, ok := p.ToNetipAddrPort()
			if !ok {
				t.Fatalf("unparsable peer %v", p)
			}
			out = append(out, netip.AddrPortFrom(ap.Addr().WithZone(""), ap.Port()))
		}
		return out
	}

	// Seeder over UDP, leecher over HTTP.
	res := announce(udpCl, seedID, seedPort, 0, tracker.Started)
	if res.Seeders != 1 || res.Leechers != 0 || len(res.Peers) != 0 {
		t.Fatalf("first UDP announce: %+v; want 1 seeder, 0 leechers, no peers", res)
	}
	res = announce(httpCl, leechID, leechPort, 5000, tracker.Started)
	if got := peersOf(res); res.Seeders != 1 || res.Leechers != 1 || !slices.Equal(got, []netip.AddrPort{seedAddr}) {
		t.Fatalf("HTTP announce: seeders=%d leechers=%d peers=%v; want 1, 1, [%v]", res.Seeders, res.Leechers, got, seedAddr)
	}
	if res.Interval <= 0 {
		t.Errorf("HTTP announce interval %d", res.Interval)
	}
	res = announce(udpCl, seedID, seedPort, 0, tracker.None)
	if got := peersOf(res); res.Seeders != 1 || res.Leechers != 1 || !slices.Equal(got, []netip.AddrPort{leechAddr}) {
		t.Fatalf("UDP re-announce: seeders=%d leechers=%d peers=%v; want 1, 1, [%v]", res.Seeders, res.Leechers, got, leechAddr)
	}

	scrape := func(cl tracker.Client, what string, want bittorrent.Counts) {
		t.Helper()
		sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
		defer scancel()
		out, err := cl.Scrape(sctx, []infohash.T{infohash.T(ih)})
		if err != nil {
			t.Fatalf("%s scrape: %v", what, err)
		}
		if len(out) != 1 {
			t.Fatalf("%s scrape: %d results for 1 hash", what, len(out))
		}
		got := bittorrent.Counts{Complete: int(out[0].Seeders), Downloaded: int(out[0].Completed), Incomplete: int(out[0].Leechers)}
		if got != want {
			t.Errorf("%s scrape = %+v, want %+v", what, got, want)
		}
	}
	scrape(udpCl, "UDP", bittorrent.Counts{Complete: 1, Incomplete: 1})
	scrape(httpCl, "HTTP", bittorrent.Counts{Complete: 1, Incomplete: 1})

	// The leecher completes over HTTP; the UDP side sees the download.
	res = announce(httpCl, leechID, leechPort, 0, tracker.Completed)
	if res.Seeders != 2 || res.Leechers != 0 {
		t.Errorf("HTTP completed: seeders=%d leechers=%d; want 2, 0", res.Seeders, res.Leechers)
	}
	scrape(udpCl, "UDP after completed", bittorrent.Counts{Complete: 2, Downloaded: 1})
	scrape(httpCl, "HTTP after completed", bittorrent.Counts{Complete: 2, Downloaded: 1})

	// The seeder leaves over UDP.
	res = announce(udpCl, seedID, seedPort, 0, tracker.Stopped)
	if len(res.Peers) != 0 {
		t.Errorf("UDP stopped answered with peers %v", res.Peers)
	}
	scrape(httpCl, "HTTP after stopped", bittorrent.Counts{Complete: 1, Downloaded: 1})
	res = announce(httpCl, leechID, leechPort, 0, tracker.None)
	if len(res.Peers) != 0 || res.Seeders != 1 || res.Leechers != 0 {
		t.Errorf("HTTP after the seeder left: %+v; want 1 seeder and no peers", res)
	}

	// The same through the project's client library, independent of
	// anacrolix's parsing: an IPv6 HTTP announce gets [::1] peers as
	// 18-byte peers6 entries and nothing in the IPv4 peers string (BEP 7:
	// an entry there would come out as an IPv4 peer), and an IPv6 UDP
	// announce gets 18-byte entries (BEP 15: the client reads 18-byte
	// entries on an IPv6 socket and refuses a list of another length).
	const obsHTTPPort, obsUDPPort = 45003, 45004
	hr, err := httpTracker(t, tr).Announce(ctx, announceReq(ih, randomID(t), obsHTTPPort, 1, bittorrent.EventStarted))
	if err != nil {
		t.Fatalf("IPv6 HTTP announce: %v", err)
	}
	if got := peerAddrs(hr); !slices.Equal(got, []netip.AddrPort{leechAddr}) {
		t.Errorf("IPv6 HTTP announce: peers %v; want exactly [%v] from peers6", got, leechAddr)
	}
	ur, err := udpTracker(t, tr.UDPAddr).Announce(ctx, announceReq(ih, randomID(t), obsUDPPort, 1, bittorrent.EventStarted))
	if err != nil {
		t.Fatalf("IPv6 UDP announce: %v", err)
	}
	if want := []netip.AddrPort{leechAddr, netip.AddrPortFrom(v6, obsHTTPPort)}; !slices.Equal(sortedAddrs(ur), want) {
		t.Errorf("IPv6 UDP announce: peers %v; want %v", sortedAddrs(ur), want)
	}
	if ur.Counts.Complete != 1 || ur.Counts.Incomplete != 2 {
		t.Errorf("IPv6 UDP announce: complete=%d incomplete=%d; want 1, 2", ur.Counts.Complete, ur.Counts.Incomplete)
	}
}
