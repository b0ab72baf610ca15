package swarmtest

import (
	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// ownerChecks cover how a WebRTC entry is bound to its signaling
// connection.
func ownerChecks() []check {
	return []check{
		{"StoppedFromForeignOwnerIgnored", func(f *fixture) {
			ih := newHash()
			a, watcher := f.webrtc(), f.webrtc()
			f.do(ih, a, bittorrent.EventStarted, 0)
			f.do(ih, watcher, bittorrent.EventStarted, 1)
			foreign := a
			foreign.Owner = newOwner()
			res := f.do(ih, foreign, bittorrent.EventStopped, 0)
			f.wantCounts("stopped from foreign owner", ih, res.Counts, bittorrent.Counts{Complete: 1, Incomplete: 1})
			if res.Rebound != 0 {
				f.t.Errorf("foreign stopped reported Rebound %v, want 0", res.Rebound)
			}
			// The entry is still bound to its owner: others see that owner,
			// and it can still stop itself.
			if got := f.picks(ih, watcher, 10, 0); len(got) != 1 || got[0] != a {
				f.t.Errorf("after foreign stopped, picks = %v, want [%v]", got, a)
			}
			res = f.do(ih, a, bittorrent.EventStopped, 0)
			f.wantCounts("stopped from own owner", ih, res.Counts, bittorrent.Counts{Incomplete: 1})
		}},
		{"RebindReportsOldOwner", func(f *fixture) {
			ih := newHash()
			a, watcher := f.webrtc(), f.webrtc()
			f.do(ih, watcher, bittorrent.EventStarted, 1)
			if res := f.do(ih, a, bittorrent.EventStarted, 1); res.Rebound != 0 {
				f.t.Errorf("new entry reported Rebound %v, want 0", res.Rebound)
			}
			if res := f.do(ih, a, bittorrent.EventUpdate, 1); res.Rebound != 0 {
				f.t.Errorf("same owner reported Rebound %v, want 0", res.Rebound)
			}
			// Every event but stopped moves the entry to the announcing
			// owner and reports the one it leaves.
			moved := a
			for _, ev := range []bittorrent.Event{bittorrent.EventUpdate, bittorrent.EventStarted, bittorrent.EventCompleted} {
				old := moved.Owner
				moved.Owner = newOwner()
				res := f.do(ih, moved, ev, bittorrent.LeftUnknown)
				if res.Rebound != old {
					f.t.Errorf("%v from new owner: Rebound = %v, want %v", ev, res.Rebound, old)
				}
			}
			res := f.do(ih, moved, bittorrent.EventUpdate, bittorrent.LeftUnknown)
			if res.Rebound != 0 {
				f.t.Errorf("announce after rebind reported Rebound %v, want 0", res.Rebound)
			}
			f.wantCounts("rebinding keeps one entry", ih, res.Counts, bittorrent.Counts{Complete: 1, Incomplete: 1, Downloaded: 1})
			if got := f.picks(ih, watcher, 10, 0); len(got) != 1 || got[0] != moved {
				f.t.Errorf("after rebind, picks = %v, want [%v]", got, moved)
			}
			// Only the new owner can stop it now.
			res = f.do(ih, a, bittorrent.EventStopped, 0)
			f.wantCounts("stopped from old owner", ih, res.Counts, bittorrent.Counts{Complete: 1, Incomplete: 1, Downloaded: 1})
			res = f.do(ih, moved, bittorrent.EventStopped, 0)
			f.wantCounts("stopped from new owner", ih, res.Counts, bittorrent.Counts{Incomplete: 1, Downloaded: 1})
		}},
		{"NativeIgnoresOwner", func(f *fixture) {
			ih := newHash()
			p := f.native4()
			p.Owner = newOwner()
			f.do(ih, p, bittorrent.EventStarted, 1)
			q := p
			q.Owner = newOwner()
			res := f.do(ih, q, bittorrent.EventUpdate, 1)
			if res.Rebound != 0 {
				f.t.Errorf("native announce reported Rebound %v, want 0", res.Rebound)
			}
			res = f.do(ih, q, bittorrent.EventStopped, 1)
			f.wantCounts("native stopped whatever the owner", ih, res.Counts, bittorrent.Counts{})
		}},
	}
}

// leaveChecks cover Leave, which the signaling layer calls when a
// connection closes.
func leaveChecks() []check {
	return []check{
		{"WrongOwnerIsNoop", func(f *fixture) {
			ih := newHash()
			a := f.webrtc()
			f.do(ih, a, bittorrent.EventStarted, 0)
			foreign := a
			foreign.Owner = newOwner()
			if f.leave(ih, foreign) {
				f.t.Errorf("Leave with a foreign owner reported a removal")
			}
			f.wantScrape("after foreign Leave", ih, bittorrent.Counts{Complete: 1})
		}},
		{"RemovesAndDeletesEmptySwarm", func(f *fixture) {
			before := f.totals()
			ih := newHash()
			a, b := f.webrtc(), f.native6()
			f.do(ih, a, bittorrent.EventStarted, 0)
			f.do(ih, b, bittorrent.EventStarted, 4)
			f.wantDelta("two entries", before, delta{swarms: 1, seeders: 1, leechers: 1, webrtc: 1, native: 1})
			if !f.leave(ih, a) {
				f.t.Errorf("Leave of a bound WebRTC entry reported no removal")
			}
			f.wantScrape("after webrtc Leave", ih, bittorrent.Counts{Incomplete: 1})
			if f.leave(ih, a) {
				f.t.Errorf("second Leave reported a removal")
			}
			if !f.leave(ih, b) {
				f.t.Errorf("Leave of a native entry reported no removal")
			}
			f.wantScrape("after both left", ih, bittorrent.Counts{})
			f.wantDelta("swarm deleted", before, delta{})
		}},
		{"UnknownIsNoop", func(f *fixture) {
			ih := newHash()
			if f.leave(ih, f.webrtc()) {
				f.t.Errorf("Leave in an unknown swarm reported a removal")
			}
			f.do(ih, f.webrtc(), bittorrent.EventStarted, 0)
			if f.leave(ih, f.webrtc()) || f.leave(ih, f.native4()) {
				f.t.Errorf("Leave of an unknown peer reported a removal")
			}
			f.wantScrape("after Leave of unknown peers", ih, bittorrent.Counts{Complete: 1})
		}},
		{"OnlyThatSwarm", func(f *fixture) {
			ih1, ih2 := newHash(), newHash()
			a := f.webrtc()
			f.do(ih1, a, bittorrent.EventStarted, 0)
			f.do(ih2, a, bittorrent.EventStarted, 0)
			if !f.leave(ih1, a) {
				f.t.Errorf("Leave reported no removal")
			}
			f.wantScrape("left swarm", ih1, bittorrent.Counts{})
			f.wantScrape("other swarm", ih2, bittorrent.Counts{Complete: 1})
		}},
	}
}
