package swarmtest

import (
	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// The checks of the contract's clause on AnnounceResult.CountedDownload:
// exactly the announces that count a download say so.

// wantReported fails unless an announce's CountedDownload is want.
func (f *fixture) wantReported(what string, res swarm.AnnounceResult, want bool) {
	f.t.Helper()
	if res.CountedDownload != want {
		f.t.Errorf("%s: CountedDownload = %v, want %v (counts %+v)", what, res.CountedDownload, want, res.Counts)
	}
}

func downloadReportChecks() []check {
	return []check{
		{"OncePerEntry", func(f *fixture) {
			ih := newHash()
			a, b := f.webrtc(), f.native4()
			f.wantReported("started", f.do(ih, a, bittorrent.EventStarted, 100), false)
			f.wantReported("first completed", f.do(ih, a, bittorrent.EventCompleted, 0), true)
			f.wantReported("completed again", f.do(ih, a, bittorrent.EventCompleted, 0), false)
			f.wantReported("update as seeder", f.do(ih, a, bittorrent.EventUpdate, 0), false)
			f.do(ih, a, bittorrent.EventUpdate, 50)
			f.wantReported("completes after leeching again", f.do(ih, a, bittorrent.EventCompleted, 0), false)
			f.wantReported("second entry completes", f.do(ih, b, bittorrent.EventCompleted, 0), true)
			f.wantScrape("two downloads", ih, bittorrent.Counts{Complete: 2, Downloaded: 2})
		}},
		{"CompletedCreatesSeeder", func(f *fixture) {
			ih := newHash()
			f.wantReported("completed creates a seeder", f.do(ih, f.native6(), bittorrent.EventCompleted, bittorrent.LeftUnknown), true)
		}},
		{"NotWhenLeftSaysOtherwise", func(f *fixture) {
			ih := newHash()
			a := f.webrtc()
			f.wantReported("completed with bytes left", f.do(ih, a, bittorrent.EventCompleted, 10), false)
			f.wantReported("seeder by update, not completed", f.do(ih, a, bittorrent.EventUpdate, 0), false)
		}},
		{"NotOnStopped", func(f *fixture) {
			ih := newHash()
			a, b := f.native4(), f.native4()
			f.do(ih, a, bittorrent.EventStarted, 0)
			f.do(ih, b, bittorrent.EventCompleted, 0)
			f.wantReported("stopped", f.do(ih, b, bittorrent.EventStopped, 0), false)
		}},
		{"ResetOnReusedResult", func(f *fixture) {
			// Callers reuse one result; a stale true must not leak into
			// the next announce.
			ih := newHash()
			a := f.webrtc()
			res := swarm.AnnounceResult{}
			if err := f.st.Announce(f.ctx, req(ih, a, bittorrent.EventCompleted, 0), &res); err != nil {
				f.t.Fatal(err)
			}
			f.wantReported("completed", res, true)
			if err := f.st.Announce(f.ctx, req(ih, a, bittorrent.EventUpdate, 0), &res); err != nil {
				f.t.Fatal(err)
			}
			f.wantReported("next announce on the same result", res, false)
			if err := f.st.Announce(f.ctx, req(ih, a, bittorrent.EventStopped, 0), &res); err != nil {
				f.t.Fatal(err)
			}
			f.wantReported("stopped on the same result", res, false)
		}},
	}
}
