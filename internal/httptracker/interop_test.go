package httptracker

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/tracker"
	"github.com/anacrolix/torrent/types/infohash"
)

// TestAnacrolixClient announces and scrapes with an independent client,
// anacrolix/torrent's tracker package, over real sockets on the IPv4 and
// the IPv6 loopback.
func TestAnacrolixClient(t *testing.T) {
	for _, tc := range []struct{ name, network, addr, loopback string }{
		{"ipv4", "tcp4", "127.0.0.1:0", "127.0.0.1"},
		{"ipv6", "tcp6", "[::1]:0", "::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := net.Listen(tc.network, tc.addr)
			if err != nil {
				if tc.network == "tcp6" {
					t.Skipf("IPv6 loopback unavailable on this machine: %v", err)
				}
				t.Fatal(err)
			}
			testAnacrolix(t, l, net.ParseIP(tc.loopback))
		})
	}
}

func testAnacrolix(t *testing.T, l net.Listener, loopback net.IP) {
	tr := newTracker(t, nil)
	mux := http.NewServeMux()
	mux.HandleFunc("/announce", tr.h.ServeAnnounce)
	mux.HandleFunc("/scrape", tr.h.ServeScrape)
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: mux}}
	srv.Start()
	defer srv.Close()

	newClient := func(url string) tracker.Client {
		t.Helper()
		cl, err := tracker.NewClient(url, tracker.NewClientOpts{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cl.Close() })
		return cl
	}
	// Two independent clients, as two torrent clients on one host would be.
	clA, clB := newClient(srv.URL+"/announce"), newClient(srv.URL+"/announce")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// 0x20 and 0x2B in the hash: anacrolix escapes them in announces but
	// its scrape uses url.Values.Encode, which sends 0x20 as a raw '+', so
	// the scrape only works through the '+' retry.
	var ih infohash.T
	copy(ih[:], "swarm+bridge interop")
	peerA, peerB := [20]byte{}, [20]byte{}
	copy(peerA[:], "-AZ2060-aaaaaaaaaaaa")
	copy(peerB[:], "-AZ2060-b+b/b b\x00\xffbbb")

	announce := func(cl tracker.Client, peer [20]byte, port uint16, left int64, ev tracker.AnnounceEvent) tracker.AnnounceResponse {
		t.Helper()
		res, err := cl.Announce(ctx, tracker.AnnounceRequest{
			InfoHash: ih, PeerId: peer, Port: port, Left: left, Event: ev, NumWant: -1, Key: 7,
		}, tracker.AnnounceOpt{})
		if err != nil {
			t.Fatalf("announce: %v", err)
		}
		if res.Interval != 1800 {
			t.Fatalf("interval %d", res.Interval)
		}
		return res
	}
	sees := func(res tracker.AnnounceResponse, port int) bool {
		for _, p := range res.Peers {
			if p.IP.Equal(loopback) && p.Port == port {
				return true
			}
		}
		return false
	}

	res := announce(clA, peerA, 1111, 0, tracker.Started)
	if len(res.Peers) != 0 || res.Seeders != 1 || res.Leechers != 0 {
		t.Fatalf("first announce: %+v", res)
	}
	res = announce(clB, peerB, 2222, 100, tracker.Started)
	if len(res.Peers) != 1 || !sees(res, 1111) || res.Seeders != 1 || res.Leechers != 1 {
		t.Fatalf("B should see A at %v:1111: %+v", loopback, res)
	}
	res = announce(clA, peerA, 1111, 0, tracker.None)
	if len(res.Peers) != 1 || !sees(res, 2222) {
		t.Fatalf("A should see B at %v:2222: %+v", loopback, res)
	}

	var unknown infohash.T
	copy(unknown[:], "nobody announces me.")
	scrape := func() (known, other [3]int32) {
		t.Helper()
		out, err := clB.Scrape(ctx, []infohash.T{ih, unknown})
		if err != nil {
			t.Fatalf("scrape: %v", err)
		}
		if len(out) != 2 {
			t.Fatalf("scrape returned %d results", len(out))
		}
		return [3]int32{out[0].Seeders, out[0].Leechers, out[0].Completed},
			[3]int32{out[1].Seeders, out[1].Leechers, out[1].Completed}
	}
	if k, o := scrape(); k != [3]int32{1, 1, 0} || o != [3]int32{} {
		t.Fatalf("scrape: %v %v", k, o)
	}

	res = announce(clB, peerB, 2222, 0, tracker.Completed)
	if res.Seeders != 2 || res.Leechers != 0 {
		t.Fatalf("after completed: %+v", res)
	}
	if k, _ := scrape(); k != [3]int32{2, 0, 1} {
		t.Fatalf("scrape after completed: %v", k)
	}
	res = announce(clB, peerB, 2222, 0, tracker.Stopped)
	if len(res.Peers) != 0 || res.Seeders != 1 {
		t.Fatalf("after stopped: %+v", res)
	}
	if k, _ := scrape(); k != [3]int32{1, 0, 1} {
		t.Fatalf("scrape after stopped: %v", k)
	}
	if tr.h.Stats().PlusRetries == 0 {
		t.Fatal("expected the scrape to need the '+' retry")
	}

	// A tracker failure reaches the client as an error with our reason.
	bad := newClient(srv.URL + "/announce?passkey=%zz")
	_, err := bad.Announce(ctx, tracker.AnnounceRequest{InfoHash: ih, PeerId: peerA, Port: 1}, tracker.AnnounceOpt{})
	if err == nil || !strings.Contains(err.Error(), "invalid percent-encoding") {
		t.Fatalf("failure not reported: %v", err)
	}
}
