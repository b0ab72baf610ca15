package udptracker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/swarmbridge/swarmbridge/internal/testkit/policytest"

	"github.com/anacrolix/torrent/tracker"
	"github.com/anacrolix/torrent/tracker/udp"
	"github.com/anacrolix/torrent/types/infohash"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// TestAnacrolixClient checks interoperability with an independent
// implementation: the UDP tracker client of github.com/anacrolix/torrent.
func TestAnacrolixClient(t *testing.T) {
	for _, tc := range []struct {
		name    string
		network string
		addr    string
		fam     swarm.Family
		peerIP  string
	}{
		{"ipv4", "udp4", "127.0.0.1:0", swarm.IPv4, "127.0.0.1"},
		{"ipv6", "udp6", "[::1]:0", swarm.IPv6, "::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn := listen(t, tc.network, tc.addr)
			var (
				mu   sync.Mutex
				urls []string
			)
			s := newTestServer(t, Config{Policy: policytest.Funcs{AuthorizeFunc: func(_ bittorrent.Transport, a bittorrent.Action, _ bittorrent.InfoHash, url string) error {
				if a == bittorrent.ActionScrape {
					return nil // a UDP scrape carries no URL data to check
				}
				mu.Lock()
				urls = append(urls, url)
				mu.Unlock()
				if url != "/announce?passkey=abc" {
					return errors.New("bad passkey")
				}
				return nil
			}}})
			startServer(t, s, conn)
			srv := serverAddr(conn, tc.fam)
			url := fmt.Sprintf("%s://%s/announce?passkey=abc", tc.network, srv)

			newClient := func(url string) tracker.Client {
				cl, err := tracker.NewClient(url, tracker.NewClientOpts{})
				if err != nil {
					t.Fatalf("NewClient: %v", err)
				}
				t.Cleanup(func() { cl.Close() })
				return cl
			}
			a, b := newClient(url), newClient(url)
			ctx, cancel := context.WithTimeout(context.Background(), failAfter)
			defer cancel()

			h := infohash.T(ih(0x42))
			reqA := tracker.AnnounceRequest{InfoHash: h, PeerId: pid(1), Left: -1, Event: tracker.Started, NumWant: -1, Port: 6881, Key: 1}
			res, err := a.Announce(ctx, reqA, tracker.AnnounceOpt{})
			if err != nil {
				t.Fatalf("announce a: %v", err)
			}
			if res.Interval != 1800 || res.Leechers != 1 || res.Seeders != 0 || len(res.Peers) != 0 {
				t.Fatalf("a: %+v", res)
			}
			reqB := tracker.AnnounceRequest{InfoHash: h, PeerId: pid(2), Left: 0, Event: tracker.Completed, NumWant: 50, Port: 6882, Key: 2}
			res, err = b.Announce(ctx, reqB, tracker.AnnounceOpt{})
			if err != nil {
				t.Fatalf("announce b: %v", err)
			}
			if res.Leechers != 1 || res.Seeders != 1 || len(res.Peers) != 1 {
				t.Fatalf("b: %+v", res)
			}
			p := res.Peers[0]
			if !p.IP.Equal(net.ParseIP(tc.peerIP)) || p.Port != 6881 {
				t.Fatalf("b got peer %v:%d, want %s:6881", p.IP, p.Port, tc.peerIP)
			}

			sc, err := a.Scrape(ctx, []infohash.T{h, infohash.T(ih(1)), h})
			if err != nil {
				t.Fatalf("scrape: %v", err)
			}
			if len(sc) != 3 || sc[0] != sc[2] || sc[0].Seeders != 1 || sc[0].Leechers != 1 || sc[0].Completed != 1 || sc[1].Seeders != 0 {
				t.Fatalf("scrape %+v", sc)
			}

			// The hook's error reaches the client as an error response.
			bad := newClient(fmt.Sprintf("%s://%s/announce?passkey=nope", tc.network, srv))
			_, err = bad.Announce(ctx, reqA, tracker.AnnounceOpt{})
			var er udp.ErrorResponse
			if !errors.As(err, &er) || er.Message != "bad passkey" {
				t.Fatalf("denied announce: %v", err)
			}

			res, err = a.Announce(ctx, tracker.AnnounceRequest{InfoHash: h, PeerId: pid(1), Left: -1, Event: tracker.Stopped, Port: 6881}, tracker.AnnounceOpt{})
			if err != nil {
				t.Fatalf("stop a: %v", err)
			}
			if res.Leechers != 0 || res.Seeders != 1 || len(res.Peers) != 0 {
				t.Fatalf("stopped: %+v", res)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(urls) != 4 {
				t.Fatalf("hook saw %q", urls)
			}
		})
	}
}
