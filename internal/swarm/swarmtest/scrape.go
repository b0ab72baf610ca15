package swarmtest

import (
	"slices"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// scrapeChecks cover Scrape.
func scrapeChecks() []check {
	return []check{
		{"OrderDuplicatesUnknown", func(f *fixture) {
			a, b, unknown := newHash(), newHash(), newHash()
			f.do(a, f.webrtc(), bittorrent.EventCompleted, 0)
			f.do(b, f.native4(), bittorrent.EventStarted, 3)
			f.do(b, f.native6(), bittorrent.EventStarted, 3)
			hashes := []bittorrent.InfoHash{b, unknown, a, b, a, unknown}
			ca := bittorrent.Counts{Complete: 1, Downloaded: 1}
			cb := bittorrent.Counts{Incomplete: 2}
			want := []bittorrent.Counts{cb, {}, ca, cb, ca, {}}
			got, err := f.st.Scrape(f.ctx, hashes, nil)
			if err != nil {
				f.t.Fatalf("Scrape: %v", err)
			}
			if !slices.Equal(got, want) {
				f.t.Errorf("Scrape = %+v, want %+v", got, want)
			}
		}},
		{"AppendsToDst", func(f *fixture) {
			a := newHash()
			f.do(a, f.webrtc(), bittorrent.EventStarted, 0)
			prefix := bittorrent.Counts{Complete: 7, Incomplete: 8, Downloaded: 9}
			got, err := f.st.Scrape(f.ctx, []bittorrent.InfoHash{a}, []bittorrent.Counts{prefix})
			if err != nil {
				f.t.Fatalf("Scrape: %v", err)
			}
			want := []bittorrent.Counts{prefix, {Complete: 1}}
			if !slices.Equal(got, want) {
				f.t.Errorf("Scrape = %+v, want %+v", got, want)
			}
		}},
		{"NoHashes", func(f *fixture) {
			got, err := f.st.Scrape(f.ctx, nil, nil)
			if err != nil || len(got) != 0 {
				f.t.Errorf("Scrape of no hashes = %v, %v; want nothing", got, err)
			}
		}},
	}
}

// totalsChecks cover Totals.
func totalsChecks() []check {
	return []check{
		{"CountsByKindAndStatus", func(f *fixture) {
			before := f.totals()
			ih1, ih2 := newHash(), newHash()
			w1, w2, n4, n6 := f.webrtc(), f.webrtc(), f.native4(), f.native6()
			f.do(ih1, w1, bittorrent.EventStarted, 0)
			f.do(ih1, w2, bittorrent.EventStarted, 10)
			f.do(ih1, n4, bittorrent.EventStarted, 10)
			f.do(ih2, n6, bittorrent.EventCompleted, 0)
			f.do(ih2, w1, bittorrent.EventStarted, bittorrent.LeftUnknown)
			f.wantDelta("five entries in two swarms", before, delta{swarms: 2, seeders: 2, leechers: 3, webrtc: 3, native: 2})
			f.do(ih1, w2, bittorrent.EventUpdate, 0)
			f.wantDelta("leecher became seeder", before, delta{swarms: 2, seeders: 3, leechers: 2, webrtc: 3, native: 2})
			f.do(ih2, n6, bittorrent.EventStopped, 0)
			f.do(ih2, w1, bittorrent.EventStopped, 0)
			f.wantDelta("second swarm emptied", before, delta{swarms: 1, seeders: 2, leechers: 1, webrtc: 2, native: 1})
		}},
		{"CountsByClientFamily", func(f *fixture) {
			before := f.totals()
			ih := newHash()
			clientDelta := func(c swarm.Client) int {
				return f.totals().PeersByClient[c] - before.PeersByClient[c]
			}
			wt := f.webrtc()
			copy(wt.ID[:], "-WW0300-")
			n := f.native4()
			copy(n.ID[:], "-qB4650-")
			f.do(ih, wt, bittorrent.EventStarted, 10)
			f.do(ih, n, bittorrent.EventStarted, 10)
			if clientDelta(swarm.ClientWebTorrent) != 1 || clientDelta(swarm.ClientQBittorrent) != 1 {
				f.t.Errorf("after a WebTorrent and a qBittorrent peer joined: %v (before %v)", f.totals().PeersByClient, before.PeersByClient)
			}
			// The native endpoint announces with a Transmission peer id now.
			copy(n.ID[:], "-TR4060-")
			f.do(ih, n, bittorrent.EventUpdate, 10)
			if clientDelta(swarm.ClientQBittorrent) != 0 || clientDelta(swarm.ClientTransmission) != 1 {
				f.t.Errorf("peer id change not followed: %v (before %v)", f.totals().PeersByClient, before.PeersByClient)
			}
			f.do(ih, wt, bittorrent.EventStopped, 10)
			f.do(ih, n, bittorrent.EventStopped, 10)
			if clientDelta(swarm.ClientWebTorrent) != 0 || clientDelta(swarm.ClientTransmission) != 0 {
				f.t.Errorf("after both left: %v (before %v)", f.totals().PeersByClient, before.PeersByClient)
			}
		}},
	}
}
