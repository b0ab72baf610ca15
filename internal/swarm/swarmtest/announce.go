package swarmtest

import (
	"net/netip"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// announceChecks cover how an announce creates, updates and removes the
// requester's own entry and what it counts.
func announceChecks() []check {
	return []check{
		{"CreateByStarted", func(f *fixture) {
			ih := newHash()
			res := f.do(ih, f.webrtc(), bittorrent.EventStarted, 100)
			f.wantCounts("started leecher", ih, res.Counts, bittorrent.Counts{Incomplete: 1})
		}},
		{"CreateByUpdate", func(f *fixture) {
			ih := newHash()
			res := f.do(ih, f.native4(), bittorrent.EventUpdate, 0)
			f.wantCounts("update seeder", ih, res.Counts, bittorrent.Counts{Complete: 1})
		}},
		{"CreateByCompleted", func(f *fixture) {
			ih := newHash()
			res := f.do(ih, f.webrtc(), bittorrent.EventCompleted, 0)
			f.wantCounts("completed creates seeder", ih, res.Counts, bittorrent.Counts{Complete: 1, Downloaded: 1})
		}},
		{"SeederLeecherTransitions", func(f *fixture) {
			ih := newHash()
			for _, p := range []swarm.Peer{f.webrtc(), f.native4(), f.native6()} {
				ih2 := newHash()
				res := f.do(ih2, p, bittorrent.EventStarted, 500)
				f.wantCounts(p.Kind.String()+" leecher", ih2, res.Counts, bittorrent.Counts{Incomplete: 1})
				res = f.do(ih2, p, bittorrent.EventUpdate, 0)
				f.wantCounts(p.Kind.String()+" leecher to seeder", ih2, res.Counts, bittorrent.Counts{Complete: 1})
				res = f.do(ih2, p, bittorrent.EventUpdate, 10)
				f.wantCounts(p.Kind.String()+" seeder to leecher", ih2, res.Counts, bittorrent.Counts{Incomplete: 1})
			}
			// Two peers in one swarm move independently.
			a, b := f.webrtc(), f.native4()
			f.do(ih, a, bittorrent.EventStarted, 0)
			res := f.do(ih, b, bittorrent.EventStarted, 7)
			f.wantCounts("seeder and leecher", ih, res.Counts, bittorrent.Counts{Complete: 1, Incomplete: 1})
			res = f.do(ih, a, bittorrent.EventUpdate, 3)
			f.wantCounts("both leechers", ih, res.Counts, bittorrent.Counts{Incomplete: 2})
			res = f.do(ih, b, bittorrent.EventUpdate, 0)
			f.wantCounts("swapped", ih, res.Counts, bittorrent.Counts{Complete: 1, Incomplete: 1})
		}},
		{"UnknownLeft", func(f *fixture) {
			ih := newHash()
			s, l := f.webrtc(), f.native6()
			res := f.do(ih, s, bittorrent.EventStarted, bittorrent.LeftUnknown)
			f.wantCounts("new entry with unknown left is a leecher", ih, res.Counts, bittorrent.Counts{Incomplete: 1})
			f.do(ih, s, bittorrent.EventUpdate, 0)
			res = f.do(ih, s, bittorrent.EventUpdate, bittorrent.LeftUnknown)
			f.wantCounts("unknown left keeps seeder", ih, res.Counts, bittorrent.Counts{Complete: 1})
			f.do(ih, l, bittorrent.EventStarted, 9)
			res = f.do(ih, l, bittorrent.EventUpdate, bittorrent.LeftUnknown)
			f.wantCounts("unknown left keeps leecher", ih, res.Counts, bittorrent.Counts{Complete: 1, Incomplete: 1})
		}},
		{"CompletedCountsOncePerEntry", func(f *fixture) {
			ih := newHash()
			a, b := f.webrtc(), f.native4()
			f.do(ih, a, bittorrent.EventStarted, 100)
			res := f.do(ih, a, bittorrent.EventCompleted, 0)
			f.wantCounts("first completed", ih, res.Counts, bittorrent.Counts{Complete: 1, Downloaded: 1})
			res = f.do(ih, a, bittorrent.EventCompleted, 0)
			f.wantCounts("same entry completes again", ih, res.Counts, bittorrent.Counts{Complete: 1, Downloaded: 1})
			f.do(ih, a, bittorrent.EventUpdate, 50)
			res = f.do(ih, a, bittorrent.EventCompleted, 0)
			f.wantCounts("same entry completes after leeching again", ih, res.Counts, bittorrent.Counts{Complete: 1, Downloaded: 1})
			f.do(ih, b, bittorrent.EventStarted, 100)
			res = f.do(ih, b, bittorrent.EventCompleted, 0)
			f.wantCounts("second entry completes", ih, res.Counts, bittorrent.Counts{Complete: 2, Downloaded: 2})
		}},
		{"CompletedLeftSaysOtherwise", func(f *fixture) {
			ih := newHash()
			a := f.webrtc()
			res := f.do(ih, a, bittorrent.EventCompleted, 10)
			f.wantCounts("completed with left > 0", ih, res.Counts, bittorrent.Counts{Incomplete: 1})
			res = f.do(ih, a, bittorrent.EventCompleted, bittorrent.LeftUnknown)
			f.wantCounts("completed with unknown left", ih, res.Counts, bittorrent.Counts{Complete: 1, Downloaded: 1})
		}},
		{"DownloadedOutlivesEntry", func(f *fixture) {
			ih := newHash()
			a, b := f.webrtc(), f.native4()
			f.do(ih, b, bittorrent.EventStarted, 100)
			f.do(ih, a, bittorrent.EventCompleted, 0)
			res := f.do(ih, a, bittorrent.EventStopped, 0)
			f.wantCounts("completer stopped", ih, res.Counts, bittorrent.Counts{Incomplete: 1, Downloaded: 1})
			// Downloads last as long as the swarm: the last stop deletes it.
			res = f.do(ih, b, bittorrent.EventStopped, 100)
			f.wantCounts("last entry stopped", ih, res.Counts, bittorrent.Counts{})
			res = f.do(ih, a, bittorrent.EventStarted, 0)
			f.wantCounts("swarm starts over", ih, res.Counts, bittorrent.Counts{Complete: 1})
		}},
		{"StoppedRemovesOnlyThatEntry", func(f *fixture) {
			ih := newHash()
			a, b, c := f.webrtc(), f.native4(), f.native6()
			f.do(ih, a, bittorrent.EventStarted, 0)
			f.do(ih, b, bittorrent.EventStarted, 5)
			f.do(ih, c, bittorrent.EventStarted, 5)
			r := req(ih, b, bittorrent.EventStopped, 5)
			r.NumWant = 50
			res := f.announce(r)
			f.wantCounts("native stopped", ih, res.Counts, bittorrent.Counts{Complete: 1, Incomplete: 1})
			if len(res.Peers) != 0 {
				f.t.Errorf("stopped returned %d peers, want none", len(res.Peers))
			}
			if got := f.picks(ih, c, 50, 0); len(got) != 0 {
				f.t.Errorf("after b stopped, c got %v, want no native peers", got)
			}
			r = req(ih, a, bittorrent.EventStopped, 0)
			r.NumWant = 50
			res = f.announce(r)
			f.wantCounts("webrtc stopped", ih, res.Counts, bittorrent.Counts{Incomplete: 1})
			if len(res.Peers) != 0 {
				f.t.Errorf("stopped returned %d peers, want none", len(res.Peers))
			}
		}},
		{"StoppedUnknown", func(f *fixture) {
			ih := newHash()
			before := f.totals()
			res := f.do(ih, f.webrtc(), bittorrent.EventStopped, 0)
			f.wantCounts("stopped in unknown swarm", ih, res.Counts, bittorrent.Counts{})
			f.do(ih, f.native4(), bittorrent.EventStopped, 0)
			f.wantDelta("stopped creates nothing", before, delta{})
			a := f.webrtc()
			f.do(ih, a, bittorrent.EventStarted, 1)
			res = f.do(ih, f.webrtc(), bittorrent.EventStopped, 0)
			f.wantCounts("stopped of unknown peer", ih, res.Counts, bittorrent.Counts{Incomplete: 1})
		}},
		{"NativeKeyedByEndpoint", func(f *fixture) {
			ih := newHash()
			p := f.native4()
			f.do(ih, p, bittorrent.EventStarted, 10)
			other := p
			other.ID = newID()
			res := f.do(ih, other, bittorrent.EventUpdate, 10)
			f.wantCounts("same endpoint, new peer id", ih, res.Counts, bittorrent.Counts{Incomplete: 1})
			// Others are handed the peer id the endpoint sent last.
			watcher := f.native6()
			f.wantPicks("after the id changed", f.picks(ih, watcher, 10, 0), 1, []swarm.Peer{other})
			f.do(ih, watcher, bittorrent.EventStopped, 0)
			port := p
			port.Addr = netip.AddrPortFrom(port.Addr.Addr(), port.Addr.Port()+1)
			res = f.do(ih, port, bittorrent.EventUpdate, 10)
			f.wantCounts("same address, other port", ih, res.Counts, bittorrent.Counts{Incomplete: 2})
			res = f.do(ih, p, bittorrent.EventStopped, 10)
			f.wantCounts("stopped by endpoint", ih, res.Counts, bittorrent.Counts{Incomplete: 1})
		}},
		{"HybridCountsTwice", func(f *fixture) {
			ih := newHash()
			w := f.webrtc()
			n := f.native4()
			n.ID = w.ID
			f.do(ih, w, bittorrent.EventStarted, 0)
			res := f.do(ih, n, bittorrent.EventStarted, 0)
			f.wantCounts("one client over both", ih, res.Counts, bittorrent.Counts{Complete: 2})
			res = f.do(ih, w, bittorrent.EventStopped, 0)
			f.wantCounts("webrtc half stopped", ih, res.Counts, bittorrent.Counts{Complete: 1})
		}},
	}
}
