package swarmtest

import (
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// fullScrapeChecks hold stores that can list every swarm
// (bittorrent.FullScraper, optional) to what a full scrape promises: every
// live swarm once, with its counts, none that expired, and a walk that
// stops when told to.
func fullScrapeChecks() []check {
	return []check{
		{"ListsEveryLiveSwarmOnce", func(f *fixture) {
			all, ok := f.st.(bittorrent.FullScraper)
			if !ok {
				f.t.Skip("the store cannot list every swarm (no ScrapeAll)")
			}
			want := map[bittorrent.InfoHash]bittorrent.Counts{}
			for i := range 300 {
				ih := newHash()
				ttl := time.Hour
				if i%10 == 0 {
					ttl = time.Minute // these expire before the scrape
				}
				// The first peer of each swarm is a seeder.
				for p := range i%3 + 1 {
					r := req(ih, f.webrtc(), bittorrent.EventStarted, int64(p))
					r.TTL = ttl
					f.announce(r)
				}
				if i%10 != 0 {
					want[ih] = bittorrent.Counts{Complete: 1, Incomplete: i % 3}
				}
			}
			f.clock.Advance(2 * time.Minute)
			got := map[bittorrent.InfoHash]bittorrent.Counts{}
			if err := all.ScrapeAll(f.ctx, func(ih bittorrent.InfoHash, c bittorrent.Counts) bool {
				if _, dup := got[ih]; dup {
					f.t.Errorf("%s listed twice", ih)
				}
				got[ih] = c
				return true
			}); err != nil {
				f.t.Fatal(err)
			}
			if len(got) != len(want) {
				f.t.Errorf("listed %d swarms, want %d", len(got), len(want))
			}
			for ih, c := range want {
				if got[ih] != c {
					f.t.Errorf("%s: %+v, want %+v", ih, got[ih], c)
				}
			}
		}},
		{"StopsWhenTold", func(f *fixture) {
			all, ok := f.st.(bittorrent.FullScraper)
			if !ok {
				f.t.Skip("the store cannot list every swarm (no ScrapeAll)")
			}
			for range 10 {
				f.do(newHash(), f.native4(), bittorrent.EventStarted, 1)
			}
			n := 0
			if err := all.ScrapeAll(f.ctx, func(bittorrent.InfoHash, bittorrent.Counts) bool { n++; return n < 3 }); err != nil {
				f.t.Fatal(err)
			}
			if n != 3 {
				f.t.Errorf("fn returning false did not stop the walk: %d calls", n)
			}
		}},
	}
}
