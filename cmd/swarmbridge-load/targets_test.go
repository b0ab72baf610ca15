package main

import (
	"slices"
	"testing"

	"github.com/swarmbridge/swarmbridge/signaling/wire"
)

func TestSplitTargets(t *testing.T) {
	got, err := splitTargets("ws://a:1, ws://b:2")
	if err != nil || !slices.Equal(got, []string{"ws://a:1", "ws://b:2"}) {
		t.Errorf("splitTargets: %q %v", got, err)
	}
	for _, bad := range []string{"ws://a:1,,ws://b:2", "ws://a:1,", ""} {
		if _, err := splitTargets(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Every torrent's peers are spread evenly over the targets, whatever
// factors the number of targets and of info hashes share, and so are all
// connections (HTTP and UDP pick torrents at random, so only that counts
// for them).
func TestTargetsSpreadEveryTorrent(t *testing.T) {
	for _, tc := range []struct{ targets, infohashes, conns int }{
		{2, 20, 1000}, {2, 2, 12}, {3, 3, 90}, {3, 20, 600}, {2, 1000, 64}, {4, 1, 40},
	} {
		perTorrent := make(map[[2]int]int)
		perTarget := make([]int, tc.targets)
		for i := range tc.conns {
			tg := targetOf(i, tc.targets, tc.infohashes)
			perTorrent[[2]int{i % tc.infohashes, tg}]++
			perTarget[tg]++
		}
		for _, n := range perTarget {
			if n != tc.conns/tc.targets {
				t.Errorf("%+v: connections per target %v", tc, perTarget)
				break
			}
		}
		if tc.conns < tc.infohashes*tc.targets {
			continue // fewer connections than torrents times targets
		}
		for ih := range tc.infohashes {
			for tg := range tc.targets {
				if n := perTorrent[[2]int{ih, tg}]; n != tc.conns/tc.infohashes/tc.targets {
					t.Errorf("%+v: torrent %d has %d peers on target %d", tc, ih, n, tg)
				}
			}
		}
	}
	if targetOf(7, 1, 20) != 0 {
		t.Errorf("one target: connection 7 not on it")
	}
}

// The offer ids of an announce, as the tracker's codec reads them, tell
// the sending connection and the send time, and stay unique.
func TestOfferIDsCarrySenderAndTime(t *testing.T) {
	pid := awkwardID(2)
	for _, conn := range []int{0, 7, 70000} {
		m := announceMsg{
			infoHash: binTok(make([]byte, 20)), peerID: binTok(pid[:]), offers: 10,
			sdps: sdpTokens(newRNG(7), false, 300, 2), rng: newRNG(uint64(conn)),
			conn: conn, sentAt: 123456789012 + int64(conn),
		}
		var r wire.Request
		dec := wire.Decoder{MaxOffers: 100}
		if err := dec.Decode(appendAnnounce(nil, &m), &r); err != nil {
			t.Fatal(err)
		}
		seen := map[wire.OfferID]bool{}
		for _, o := range r.Offers {
			id := [offerIDLen]byte(o.ID)
			if c, at := offerOrigin(&id); c != conn || at != m.sentAt {
				t.Errorf("offer id %x: connection %d sent at %d, want %d at %d", o.ID, c, at, conn, m.sentAt)
			}
			if seen[o.ID] {
				t.Errorf("offer id %x repeated", o.ID)
			}
			seen[o.ID] = true
		}
		if len(seen) != 10 {
			t.Errorf("%d offers decoded", len(seen))
		}
	}
}
