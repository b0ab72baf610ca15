package swarmtest

import (
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// ownerChecks cover how a WebRTC entry is bound to its signaling
// connection.
func ownerChecks() []check {
	return []check{
		{"StoppedFromForeignOwnerIgnored", func(f *fixture) {
			ih := newHash()
			a, watcher := f.webrtc(), f.webrtc()
			f.do(ih, a, swarm.EventStarted, 0)
			f.do(ih, watcher, swarm.EventStarted, 1)
			foreign := a
			foreign.Owner = newOwner()
			res := f.do(ih, foreign, swarm.EventStopped, 0)
			f.wantCounts("stopped from foreign owner", ih, res.Counts, swarm.Counts{Complete: 1, Incomplete: 1})
			if res.Rebound != 0 {
				f.t.Errorf("foreign stopped reported Rebound %v, want 0", res.Rebound)
			}
			// The entry is still bound to its owner: others see that owner,
			// and it can still stop itself.
			if got := f.picks(ih, watcher, 10, 0); len(got) != 1 || got[0] != a {
				f.t.Errorf("after foreign stopped, picks = %v, want [%v]", got, a)
			}
			res = f.do(ih, a, swarm.EventStopped, 0)
			f.wantCounts("stopped from own owner", ih, res.Counts, swarm.Counts{Incomplete: 1})
		}},
		{"RebindReportsOldOwner", func(f *fixture) {
			ih := newHash()
			a, watcher := f.webrtc(), f.webrtc()
			f.do(ih, watcher, swarm.EventStarted, 1)
			if res := f.do(ih, a, swarm.EventStarted, 1); res.Rebound != 0 {
				f.t.Errorf("new entry reported Rebound %v, want 0", res.Rebound)
			}
			if res := f.do(ih, a, swarm.EventUpdate, 1); res.Rebound != 0 {
				f.t.Errorf("same owner reported Rebound %v, want 0", res.Rebound)
			}
			// Every event but stopped moves the entry to the announcing
			// owner and reports the one it leaves.
			moved := a
			for _, ev := range []swarm.Event{swarm.EventUpdate, swarm.EventStarted, swarm.EventCompleted} {
				old := moved.Owner
				moved.Owner = newOwner()
				res := f.do(ih, moved, ev, swarm.LeftUnknown)
				if res.Rebound != old {
					f.t.Errorf("%v from new owner: Rebound = %v, want %v", ev, res.Rebound, old)
				}
			}
			res := f.do(ih, moved, swarm.EventUpdate, swarm.LeftUnknown)
			if res.Rebound != 0 {
				f.t.Errorf("announce after rebind reported Rebound %v, want 0", res.Rebound)
			}
			f.wantCounts("rebinding keeps one entry", ih, res.Counts, swarm.Counts{Complete: 1, Incomplete: 1, Downloaded: 1})
			if got := f.picks(ih, watcher, 10, 0); len(got) != 1 || got[0] != moved {
				f.t.Errorf("after rebind, picks = %v, want [%v]", got, moved)
			}
			// Only the new owner can stop it now.
			res = f.do(ih, a, swarm.EventStopped, 0)
			f.wantCounts("stopped from old owner", ih, res.Counts, swarm.Counts{Complete: 1, Incomplete: 1, Downloaded: 1})
			res = f.do(ih, moved, swarm.EventStopped, 0)
			f.wantCounts("stopped from new owner", ih, res.Counts, swarm.Counts{Incomplete: 1, Downloaded: 1})
		}},
		{"NativeIgnoresOwner", func(f *fixture) {
			ih := newHash()
			p := f.native4()
			p.Owner = newOwner()
			f.do(ih, p, swarm.EventStarted, 1)
			q := p
			q.Owner = newOwner()
			res := f.do(ih, q, swarm.EventUpdate, 1)
			if res.Rebound != 0 {
				f.t.Errorf("native announce reported Rebound %v, want 0", res.Rebound)
			}
			res = f.do(ih, q, swarm.EventStopped, 1)
			f.wantCounts("native stopped whatever the owner", ih, res.Counts, swarm.Counts{})
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
			f.do(ih, a, swarm.EventStarted, 0)
			foreign := a
			foreign.Owner = newOwner()
			if f.leave(ih, foreign) {
				f.t.Errorf("Leave with a foreign owner reported a removal")
			}
			f.wantScrape("after foreign Leave", ih, swarm.Counts{Complete: 1})
		}},
		{"RemovesAndDeletesEmptySwarm", func(f *fixture) {
			before := f.totals()
			ih := newHash()
			a, b := f.webrtc(), f.native6()
			f.do(ih, a, swarm.EventStarted, 0)
			f.do(ih, b, swarm.EventStarted, 4)
			f.wantDelta("two entries", before, delta{swarms: 1, seeders: 1, leechers: 1, webrtc: 1, native: 1})
			if !f.leave(ih, a) {
				f.t.Errorf("Leave of a bound WebRTC entry reported no removal")
			}
			f.wantScrape("after webrtc Leave", ih, swarm.Counts{Incomplete: 1})
			if f.leave(ih, a) {
				f.t.Errorf("second Leave reported a removal")
			}
			if !f.leave(ih, b) {
				f.t.Errorf("Leave of a native entry reported no removal")
			}
			f.wantScrape("after both left", ih, swarm.Counts{})
			f.wantDelta("swarm deleted", before, delta{})
		}},
		{"UnknownIsNoop", func(f *fixture) {
			ih := newHash()
			if f.leave(ih, f.webrtc()) {
				f.t.Errorf("Leave in an unknown swarm reported a removal")
			}
			f.do(ih, f.webrtc(), swarm.EventStarted, 0)
			if f.leave(ih, f.webrtc()) || f.leave(ih, f.native4()) {
				f.t.Errorf("Leave of an unknown peer reported a removal")
			}
			f.wantScrape("after Leave of unknown peers", ih, swarm.Counts{Complete: 1})
		}},
		{"OnlyThatSwarm", func(f *fixture) {
			ih1, ih2 := newHash(), newHash()
			a := f.webrtc()
			f.do(ih1, a, swarm.EventStarted, 0)
			f.do(ih2, a, swarm.EventStarted, 0)
			if !f.leave(ih1, a) {
				f.t.Errorf("Leave reported no removal")
			}
			f.wantScrape("left swarm", ih1, swarm.Counts{})
			f.wantScrape("other swarm", ih2, swarm.Counts{Complete: 1})
		}},
	}
}
