package swarmtest

import (
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// short is the TTL of entries the expiry checks let lapse. The checks step
// the clock well past or well before it, never onto it, so stores that keep
// coarser time than nanoseconds pass too.
const short = time.Minute

// expiryChecks cover entries whose TTL has passed before anything swept
// them.
func expiryChecks() []check {
	return []check{
		{"ExpiredNotCountedOrPicked", func(f *fixture) {
			ih := newHash()
			gone, stays := f.webrtc(), f.webrtc()
			goneN, staysN := f.native4(), f.native6()
			for _, p := range []swarm.Peer{gone, goneN} {
				r := req(ih, p, bittorrent.EventStarted, 0)
				r.TTL = short
				f.announce(r)
			}
			f.do(ih, stays, bittorrent.EventStarted, 5)
			f.do(ih, staysN, bittorrent.EventStarted, 5)
			f.wantScrape("before expiry", ih, bittorrent.Counts{Complete: 2, Incomplete: 2})
			f.clock.Advance(short + 30*time.Second)
			f.wantScrape("after expiry", ih, bittorrent.Counts{Incomplete: 2})
			f.wantPicks("webrtc picks", f.picks(ih, stays, 10, 0), 0, nil)
			f.wantPicks("native picks", f.picks(ih, staysN, 10, 0), 0, nil)
			newcomer := f.webrtc()
			r := req(ih, newcomer, bittorrent.EventStarted, 1)
			r.NumWant = 10
			res := f.announce(r)
			f.wantCounts("newcomer", ih, res.Counts, bittorrent.Counts{Incomplete: 3})
			f.wantPicks("newcomer picks", res.Peers, 1, []swarm.Peer{stays})
		}},
		{"AnnounceRefreshesExpiry", func(f *fixture) {
			ih := newHash()
			a := f.webrtc()
			r := req(ih, a, bittorrent.EventStarted, 0)
			r.TTL = short
			f.announce(r)
			f.clock.Advance(short - 15*time.Second)
			r.Event = bittorrent.EventUpdate
			f.announce(r)
			f.clock.Advance(short - 15*time.Second)
			f.wantScrape("refreshed entry", ih, bittorrent.Counts{Complete: 1})
			f.clock.Advance(30 * time.Second)
			f.wantScrape("refreshed entry expired", ih, bittorrent.Counts{})
		}},
		{"ExpiredIsMissing", func(f *fixture) {
			ih := newHash()
			a, b := f.webrtc(), f.native4()
			f.do(ih, b, bittorrent.EventStarted, 9)
			r := req(ih, a, bittorrent.EventCompleted, 0)
			r.TTL = short
			f.announce(r)
			f.wantScrape("completed", ih, bittorrent.Counts{Complete: 1, Incomplete: 1, Downloaded: 1})
			f.clock.Advance(2 * short)
			if f.leave(ih, a) {
				f.t.Errorf("Leave of an expired entry reported a removal")
			}
			res := f.do(ih, a, bittorrent.EventStopped, 0)
			f.wantCounts("stopped of an expired entry", ih, res.Counts, bittorrent.Counts{Incomplete: 1, Downloaded: 1})
			// An announce recreates the entry from scratch: no rebind from
			// the expired binding, no status carried over, and a completed
			// counts again because it is a new entry.
			moved := a
			moved.Owner = newOwner()
			res = f.do(ih, moved, bittorrent.EventUpdate, bittorrent.LeftUnknown)
			if res.Rebound != 0 {
				f.t.Errorf("announce over an expired entry reported Rebound %v, want 0", res.Rebound)
			}
			f.wantCounts("recreated with unknown left", ih, res.Counts, bittorrent.Counts{Incomplete: 2, Downloaded: 1})
			res = f.do(ih, moved, bittorrent.EventCompleted, 0)
			f.wantCounts("recreated entry completes", ih, res.Counts, bittorrent.Counts{Complete: 1, Incomplete: 1, Downloaded: 2})
		}},
		{"AllExpired", func(f *fixture) {
			// A swarm whose entries all expired is gone, downloads and all,
			// whether or not anything looked at it in between.
			for _, scrapeFirst := range []bool{true, false} {
				ih := newHash()
				for _, p := range []swarm.Peer{f.webrtc(), f.native4()} {
					r := req(ih, p, bittorrent.EventCompleted, 0)
					r.TTL = short
					f.announce(r)
				}
				f.clock.Advance(2 * short)
				if scrapeFirst {
					f.wantScrape("every entry expired", ih, bittorrent.Counts{})
				}
				res := f.do(ih, f.native6(), bittorrent.EventStarted, 1)
				f.wantCounts("swarm starts over", ih, res.Counts, bittorrent.Counts{Incomplete: 1})
			}
		}},
	}
}
