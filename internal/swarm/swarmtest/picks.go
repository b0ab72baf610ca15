package swarmtest

import (
	"slices"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// population is a swarm the pick checks fill with peers of each kind.
type population struct {
	ih             bittorrent.InfoHash
	webrtc, v4, v6 []swarm.Peer
}

// populate announces nw WebRTC, n4 IPv4 and n6 IPv6 peers, alternating
// seeders and leechers, into a new swarm.
func (f *fixture) populate(nw, n4, n6 int) *population {
	f.t.Helper()
	p := &population{ih: newHash()}
	for range nw {
		p.webrtc = append(p.webrtc, f.webrtc())
	}
	for range n4 {
		p.v4 = append(p.v4, f.native4())
	}
	for range n6 {
		p.v6 = append(p.v6, f.native6())
	}
	for i, peer := range slices.Concat(p.webrtc, p.v4, p.v6) {
		f.do(p.ih, peer, bittorrent.EventStarted, int64(i%2))
	}
	return p
}

// without returns peers less p.
func without(peers []swarm.Peer, p swarm.Peer) []swarm.Peer {
	return slices.DeleteFunc(slices.Clone(peers), func(q swarm.Peer) bool { return q == p })
}

// wantPicks checks that got holds exactly n distinct peers, all from from.
func (f *fixture) wantPicks(what string, got []swarm.Peer, n int, from []swarm.Peer) {
	f.t.Helper()
	if len(got) != n {
		f.t.Errorf("%s: got %d peers, want %d", what, len(got), n)
	}
	for i, p := range got {
		if !slices.Contains(from, p) {
			f.t.Errorf("%s: got %+v, which is not a candidate", what, p)
		}
		if slices.Contains(got[:i], p) {
			f.t.Errorf("%s: got %+v twice", what, p)
		}
	}
}

// pickChecks cover which peers an announce hands back.
func pickChecks() []check {
	return []check{
		{"WebRTCRequesterGetsOnlyOtherWebRTC", func(f *fixture) {
			p := f.populate(6, 3, 2)
			r := p.webrtc[2]
			want := without(p.webrtc, r)
			f.wantPicks("numwant above candidates", f.picks(p.ih, r, 100, 0), len(want), want)
			f.wantPicks("numwant equals candidates", f.picks(p.ih, r, len(want), 0), len(want), want)
			f.wantPicks("families ignored for webrtc", f.picks(p.ih, r, 100, swarm.IPv6), len(want), want)
			newcomer := f.webrtc()
			f.wantPicks("first announce", f.picks(p.ih, newcomer, 100, 0), len(p.webrtc), p.webrtc)
		}},
		{"NativeRequesterGetsOnlyOtherNative", func(f *fixture) {
			p := f.populate(4, 3, 2)
			r := p.v4[1]
			all := without(slices.Concat(p.v4, p.v6), r)
			f.wantPicks("families zero", f.picks(p.ih, r, 100, 0), len(all), all)
			f.wantPicks("any family", f.picks(p.ih, r, 100, swarm.AnyFamily), len(all), all)
			v4 := without(p.v4, r)
			f.wantPicks("ipv4 only", f.picks(p.ih, r, 100, swarm.IPv4), len(v4), v4)
			f.wantPicks("ipv6 only", f.picks(p.ih, r, 100, swarm.IPv6), len(p.v6), p.v6)
			r6 := p.v6[0]
			f.wantPicks("ipv6 requester, ipv4 only", f.picks(p.ih, r6, 100, swarm.IPv4), len(p.v4), p.v4)
			v6 := without(p.v6, r6)
			f.wantPicks("ipv6 requester, ipv6 only", f.picks(p.ih, r6, 100, swarm.IPv6), len(v6), v6)
		}},
		{"NumWantZero", func(f *fixture) {
			p := f.populate(3, 3, 3)
			if got := f.picks(p.ih, p.webrtc[0], 0, 0); len(got) != 0 {
				f.t.Errorf("webrtc numwant 0: got %v", got)
			}
			if got := f.picks(p.ih, p.v6[0], 0, 0); len(got) != 0 {
				f.t.Errorf("native numwant 0: got %v", got)
			}
		}},
		{"AppendsToPeers", func(f *fixture) {
			p := f.populate(3, 0, 0)
			sentinel := swarm.Peer{ID: newID(), Kind: swarm.WebRTC, Owner: 1}
			r := req(p.ih, p.webrtc[0], bittorrent.EventUpdate, bittorrent.LeftUnknown)
			r.NumWant = 10
			res := swarm.AnnounceResult{Peers: []swarm.Peer{sentinel}}
			if err := f.st.Announce(f.ctx, r, &res); err != nil {
				f.t.Fatalf("Announce: %v", err)
			}
			if len(res.Peers) != 3 || res.Peers[0] != sentinel {
				f.t.Fatalf("Peers = %v, want the sentinel followed by 2 peers", res.Peers)
			}
			f.wantPicks("appended", res.Peers[1:], 2, p.webrtc[1:])
		}},
		{"DistinctAndExactlyNumWant", func(f *fixture) {
			p := f.populate(21, 20, 20)
			r := p.webrtc[0]
			cands := p.webrtc[1:]
			nat := slices.Concat(p.v4, p.v6)
			for _, n := range []int{1, 5, 16, 17, 19} {
				for range 20 {
					f.wantPicks("webrtc", f.picks(p.ih, r, n, 0), n, cands)
					f.wantPicks("native", f.picks(p.ih, p.v4[0], 2*n, 0), 2*n, without(nat, p.v4[0]))
				}
			}
		}},
		{"EveryCandidateEventuallyPicked", func(f *fixture) {
			// Few wanted of few (the typical WebRTC case) and many wanted
			// of many (the typical native case).
			for _, tc := range []struct{ have, want, calls int }{{12, 4, 300}, {40, 25, 200}} {
				p := f.populate(tc.have+1, tc.have, 0)
				seen := make(map[swarm.Peer]int)
				for range tc.calls {
					for _, q := range f.picks(p.ih, p.webrtc[0], tc.want, 0) {
						seen[q]++
					}
					for _, q := range f.picks(p.ih, p.v4[0], tc.want, 0) {
						seen[q]++
					}
				}
				for _, q := range slices.Concat(p.webrtc[1:], p.v4[1:]) {
					if seen[q] == 0 {
						f.t.Errorf("%d of %d: %v never picked in %d calls", tc.want, tc.have, q, tc.calls)
					}
				}
			}
		}},
	}
}
