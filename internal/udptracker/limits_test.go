package udptracker

import (
	"errors"
	"net/netip"
	"sync"
	"testing"

	"github.com/swarmbridge/swarmbridge/internal/testkit/policytest"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// Policy.Allow sees every datagram's unmapped source before parsing; what
// it refuses gets no reply, whatever the packet, and is counted.
func TestPolicyAllowDropsSilently(t *testing.T) {
	var (
		mu   sync.Mutex
		seen []netip.Addr
	)
	budget := 2
	s := newTestServer(t, Config{Policy: policytest.Funcs{AllowFunc: func(tp bittorrent.Transport, a netip.Addr) bool {
		mu.Lock()
		defer mu.Unlock()
		if tp != bittorrent.TransportUDP {
			t.Errorf("Allow asked for %v", tp)
		}
		seen = append(seen, a)
		budget--
		return budget >= 0
	}}})
	w := s.newWorker()
	from := netip.MustParseAddrPort("[::ffff:192.0.2.1]:40000")
	id := connectVia(t, w, from)
	announceReply(t, handleCopy(w, announcePacket(annReq{cid: id, tx: 1, ih: ih(1), port: 1}), from), 1, swarm.IPv4)
	for _, pkt := range [][]byte{
		connectPacket(3),
		announcePacket(annReq{cid: id, tx: 4, ih: ih(1), port: 1}),
		scrapePacket(id, 5, ih(1)),
		{1, 2, 3}, // garbage is refused before it is parsed
	} {
		if r := handleCopy(w, pkt, from); r != nil {
			t.Fatalf("rate-limited packet got a reply %x", r)
		}
	}
	st := s.Stats()
	if st.RateLimited != 4 || st.Malformed != 0 || st.Connects != 1 || st.Announces != 1 {
		t.Fatalf("stats %+v", st)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, a := range seen {
		if a != netip.MustParseAddr("192.0.2.1") {
			t.Fatalf("hook saw %v, want the unmapped source", a)
		}
	}
	if len(seen) != 6 {
		t.Fatalf("hook asked %d times, want once per packet", len(seen))
	}
}

func TestPolicyRefusedScrapeHashesReadAsZeros(t *testing.T) {
	s := newTestServer(t, Config{Policy: policytest.Funcs{AuthorizeFunc: func(tp bittorrent.Transport, a bittorrent.Action, h bittorrent.InfoHash, url string) error {
		if a == bittorrent.ActionScrape && (url != "" || tp != bittorrent.TransportUDP) {
			t.Errorf("scrape authorized with %v %q", tp, url)
		}
		if a == bittorrent.ActionScrape && h == ih(2) {
			return errors.New("info_hash not allowed")
		}
		return nil
	}}})
	w := s.newWorker()
	id := connectVia(t, w, cli4)
	for _, h := range []bittorrent.InfoHash{ih(1), ih(2)} {
		announceReply(t, handleCopy(w, announcePacket(annReq{cid: id, tx: 1, ih: h, port: 1}), cli4), 1, swarm.IPv4)
	}
	got := scrapeReply(t, handleCopy(w, scrapePacket(id, 9, ih(2), ih(1), ih(2)), cli4), 9)
	want := []bittorrent.Counts{{}, {Complete: 1}, {}}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("scrape %+v, want %+v", got, want)
	}
}
