package swarmtest

import (
	"errors"
	"net/netip"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// invalidChecks cover requests a store must refuse with ErrInvalid, and
// refuse without changing anything.
func invalidChecks() []check {
	return []check{
		{"Announce", func(f *fixture) {
			ih := newHash()
			existing := f.webrtc()
			f.do(ih, existing, bittorrent.EventStarted, 0)
			before := f.totals()
			port := netip.MustParseAddrPort("192.0.2.1:6881")
			bad := map[string]swarm.Peer{
				"webrtc zero owner":    {ID: newID(), Kind: swarm.WebRTC},
				"kind zero":            {ID: newID(), Owner: 1, Addr: port},
				"kind unknown":         {ID: newID(), Kind: 99, Owner: 1, Addr: port},
				"native no address":    {ID: newID(), Kind: swarm.Native},
				"native ipv4-mapped":   {ID: newID(), Kind: swarm.Native, Addr: netip.MustParseAddrPort("[::ffff:192.0.2.1]:6881")},
				"native port zero":     {ID: newID(), Kind: swarm.Native, Addr: netip.MustParseAddrPort("192.0.2.1:0")},
				"native ipv6 port 0":   {ID: newID(), Kind: swarm.Native, Addr: netip.MustParseAddrPort("[2001:db8::1]:0")},
				"existing, owner zero": {ID: existing.ID, Kind: swarm.WebRTC},
			}
			for what, p := range bad {
				for _, ev := range []bittorrent.Event{bittorrent.EventStarted, bittorrent.EventUpdate, bittorrent.EventCompleted, bittorrent.EventStopped} {
					r := req(ih, p, ev, 0)
					r.NumWant = 10
					var res swarm.AnnounceResult
					if err := f.st.Announce(f.ctx, r, &res); !errors.Is(err, swarm.ErrInvalid) {
						f.t.Errorf("%s, %v: Announce error = %v, want one wrapping ErrInvalid", what, ev, err)
					}
				}
			}
			for _, d := range []time.Duration{0, -time.Second} {
				r := req(ih, f.webrtc(), bittorrent.EventStarted, 0)
				r.TTL = d
				var res swarm.AnnounceResult
				if err := f.st.Announce(f.ctx, r, &res); !errors.Is(err, swarm.ErrInvalid) {
					f.t.Errorf("ttl %v: Announce error = %v, want one wrapping ErrInvalid", r.TTL, err)
				}
			}
			f.wantDelta("refused announces", before, delta{})
			f.wantScrape("refused announces", ih, bittorrent.Counts{Complete: 1})
		}},
		{"Leave", func(f *fixture) {
			ih := newHash()
			existing := f.webrtc()
			f.do(ih, existing, bittorrent.EventStarted, 0)
			for what, p := range map[string]swarm.Peer{
				"webrtc zero owner": {ID: existing.ID, Kind: swarm.WebRTC},
				"kind zero":         {ID: existing.ID, Owner: existing.Owner},
				"kind unknown":      {ID: existing.ID, Kind: 99, Owner: existing.Owner},
				"native no address": {ID: existing.ID, Kind: swarm.Native},
			} {
				if ok, err := f.st.Leave(f.ctx, ih, p); ok || !errors.Is(err, swarm.ErrInvalid) {
					f.t.Errorf("%s: Leave = %v, %v; want false and an error wrapping ErrInvalid", what, ok, err)
				}
			}
			f.wantScrape("refused leaves", ih, bittorrent.Counts{Complete: 1})
		}},
	}
}
