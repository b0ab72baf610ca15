package udptracker

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/policytest"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

var (
	cli4 = netip.MustParseAddrPort("192.0.2.1:40000")
	cli6 = netip.MustParseAddrPort("[2001:db8::1]:40000")
)

func TestHandleConnect(t *testing.T) {
	clk := newTestClock()
	s := newTestServer(t, Config{Now: clk.Now})
	w := s.newWorker()
	id := connectVia(t, w, cli4)
	if id == protocolID {
		t.Fatal("got the magic as id")
	}
	if !w.ids.valid(id, clk.Now(), cli4.Addr()) {
		t.Fatal("issued id is invalid")
	}
	// A dual-stack socket reports the same client as mapped: same id.
	if got := connectVia(t, w, netip.MustParseAddrPort("[::ffff:192.0.2.1]:40000")); got != id {
		t.Fatalf("mapped source got id %#x, want %#x", got, id)
	}
	if st := s.Stats(); st.Connects != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestHandleDrops(t *testing.T) {
	clk := newTestClock()
	s := newTestServer(t, Config{Now: clk.Now})
	w := s.newWorker()
	id := connectVia(t, w, cli4)
	good := announcePacket(annReq{cid: id, tx: 1, ih: ih(1), port: 6881})

	badMagic := connectPacket(1)
	badMagic[0] = 1
	otherAddr := netip.MustParseAddrPort("192.0.2.99:40000")

	cases := []struct {
		name string
		pkt  []byte
		from netip.AddrPort
		want func(Stats) uint64
	}{
		{"empty", nil, cli4, func(s Stats) uint64 { return s.Malformed }},
		{"short header", good[:15], cli4, func(s Stats) uint64 { return s.Malformed }},
		{"short connect", connectPacket(1)[:15], cli4, func(s Stats) uint64 { return s.Malformed }},
		{"connect without magic", badMagic, cli4, func(s Stats) uint64 { return s.BadProtocolID }},
		{"short announce", good[:97], cli4, func(s Stats) uint64 { return s.Malformed }},
		{"announce bad id", announcePacket(annReq{cid: id ^ 1, tx: 1, ih: ih(1), port: 6881}), cli4, func(s Stats) uint64 { return s.BadConnectionID }},
		{"announce magic id", announcePacket(annReq{cid: protocolID, tx: 1, ih: ih(1), port: 6881}), cli4, func(s Stats) uint64 { return s.BadConnectionID }},
		{"announce other address", good, otherAddr, func(s Stats) uint64 { return s.BadConnectionID }},
		{"scrape bad id", scrapePacket(id^1<<40, 1, ih(1)), cli4, func(s Stats) uint64 { return s.BadConnectionID }},
		{"scrape bad length", append(scrapePacket(id, 1, ih(1)), 0), cli4, func(s Stats) uint64 { return s.Malformed }},
		{"scrape no hashes", scrapePacket(id, 1), cli4, func(s Stats) uint64 { return s.Malformed }},
		{"scrape 75 hashes", scrapePacket(id, 1, slices.Repeat([]bittorrent.InfoHash{ih(1)}, 75)...), cli4, func(s Stats) uint64 { return s.Malformed }},
		{"unknown action", func() []byte { b := scrapePacket(id, 1, ih(1)); b[11] = 9; return b }(), cli4, func(s Stats) uint64 { return s.UnknownAction }},
		{"client sends error action", func() []byte { b := scrapePacket(id, 1, ih(1)); b[11] = 3; return b }(), cli4, func(s Stats) uint64 { return s.UnknownAction }},
		{"source port 0", connectPacket(1), netip.AddrPortFrom(cli4.Addr(), 0), func(s Stats) uint64 { return s.SourcePortZero }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before uint64
			if c.want != nil {
				before = c.want(s.Stats())
			}
			if r := handleCopy(w, c.pkt, c.from); r != nil {
				t.Fatalf("reply %x", r)
			}
			if c.want != nil {
				if after := c.want(s.Stats()); after != before+1 {
					t.Fatalf("counter went %d → %d", before, after)
				}
			}
		})
	}
	// Expired id.
	clk.Advance((connIDLifetime + connIDGrace + 1) * time.Second)
	if r := handleCopy(w, good, cli4); r != nil {
		t.Fatalf("expired id answered: %x", r)
	}
}

func TestHandleAnnounce(t *testing.T) {
	clk := newTestClock()
	s := newTestServer(t, Config{Now: clk.Now, Interval: 10 * time.Minute})
	w := s.newWorker()

	a := netip.MustParseAddrPort("192.0.2.1:40000")
	b := netip.MustParseAddrPort("192.0.2.2:40001")
	idA, idB := connectVia(t, w, a), connectVia(t, w, b)

	r := announceReply(t, handleCopy(w, announcePacket(annReq{cid: idA, tx: 11, ih: ih(1), peerID: pid(1), left: 100, event: 2, numWant: -1, port: 6881}), a), 11, swarm.IPv4)
	if r.interval != 600 || r.leechers != 1 || r.seeders != 0 || len(r.peers) != 0 {
		t.Fatalf("first announce %+v", r)
	}
	r = announceReply(t, handleCopy(w, announcePacket(annReq{cid: idB, tx: 12, ih: ih(1), peerID: pid(2), left: 0, event: 2, numWant: 50, port: 6882}), b), 12, swarm.IPv4)
	if r.leechers != 1 || r.seeders != 1 || !slices.Equal(r.peers, []netip.AddrPort{netip.MustParseAddrPort("192.0.2.1:6881")}) {
		t.Fatalf("second announce %+v", r)
	}
	// The IP field is ignored and the announced port is used.
	r = announceReply(t, handleCopy(w, announcePacket(annReq{cid: idA, tx: 13, ih: ih(1), peerID: pid(1), left: ^uint64(0), numWant: 0, port: 6881}), a), 13, swarm.IPv4)
	if r.leechers != 1 || r.seeders != 1 || !slices.Equal(r.peers, []netip.AddrPort{netip.MustParseAddrPort("192.0.2.2:6882")}) {
		t.Fatalf("update with unknown left %+v", r)
	}
	// Event 4 (paused) and unknown events are updates.
	for _, ev := range []uint32{4, 77} {
		r = announceReply(t, handleCopy(w, announcePacket(annReq{cid: idA, tx: 14, ih: ih(1), peerID: pid(1), left: 5, event: ev, port: 6881}), a), 14, swarm.IPv4)
		if r.leechers != 1 || r.seeders != 1 || len(r.peers) != 1 {
			t.Fatalf("event %d: %+v", ev, r)
		}
	}
	if st := s.Stats(); st.UnknownEvents != 1 || st.Announces != 5 {
		t.Fatalf("stats %+v", st)
	}
	// Stopped removes only that peer and returns no peers.
	r = announceReply(t, handleCopy(w, announcePacket(annReq{cid: idA, tx: 15, ih: ih(1), peerID: pid(1), left: 5, event: 3, numWant: 50, port: 6881}), a), 15, swarm.IPv4)
	if r.leechers != 0 || r.seeders != 1 || len(r.peers) != 0 {
		t.Fatalf("stopped %+v", r)
	}
	counts := scrapeReply(t, handleCopy(w, scrapePacket(idB, 16, ih(1)), b), 16)
	if len(counts) != 1 || counts[0].Complete != 1 || counts[0].Incomplete != 0 {
		t.Fatalf("scrape after stop %+v", counts)
	}
}

func TestHandleAnnounceFamilies(t *testing.T) {
	clk := newTestClock()
	s := newTestServer(t, Config{Now: clk.Now})
	w := s.newWorker()
	v4 := netip.MustParseAddrPort("192.0.2.1:40000")
	mapped := netip.MustParseAddrPort("[::ffff:192.0.2.2]:40000")
	v6a := netip.MustParseAddrPort("[2001:db8::1]:40000")
	v6b := netip.MustParseAddrPort("[2001:db8::2]:40000")
	for i, from := range []netip.AddrPort{v4, mapped, v6a, v6b} {
		id := connectVia(t, w, from)
		handleCopy(w, announcePacket(annReq{cid: id, tx: 1, ih: ih(2), peerID: pid(byte(i)), left: 1, port: 7000 + uint16(i)}), from)
	}
	id := connectVia(t, w, v4)
	r := announceReply(t, handleCopy(w, announcePacket(annReq{cid: id, tx: 2, ih: ih(2), peerID: pid(0), left: 1, port: 7000}), v4), 2, swarm.IPv4)
	if r.leechers != 4 || !slices.Equal(r.peers, []netip.AddrPort{netip.MustParseAddrPort("192.0.2.2:7001")}) {
		t.Fatalf("v4 requester %+v", r)
	}
	id = connectVia(t, w, v6a)
	r = announceReply(t, handleCopy(w, announcePacket(annReq{cid: id, tx: 3, ih: ih(2), peerID: pid(2), left: 1, port: 7002}), v6a), 3, swarm.IPv6)
	if !slices.Equal(r.peers, []netip.AddrPort{netip.MustParseAddrPort("[2001:db8::2]:7003")}) {
		t.Fatalf("v6 requester %+v", r)
	}
}

func TestHandleNumWant(t *testing.T) {
	clk := newTestClock()
	s := newTestServer(t, Config{Now: clk.Now, DefaultNumWant: 3, MaxNumWant: 5})
	w := s.newWorker()
	for i := range 10 {
		from := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)}), 1000)
		handleCopy(w, announcePacket(annReq{cid: connectVia(t, w, from), ih: ih(3), left: 1, port: 1}), from)
	}
	id := connectVia(t, w, cli4)
	for _, c := range []struct {
		numWant int32
		want    int
	}{{-1, 3}, {0, 3}, {1, 1}, {4, 4}, {500, 5}, {-2147483648, 3}} {
		r := announceReply(t, handleCopy(w, announcePacket(annReq{cid: id, tx: 1, ih: ih(3), left: 1, numWant: c.numWant, port: 1}), cli4), 1, swarm.IPv4)
		if len(r.peers) != c.want {
			t.Errorf("num_want %d: %d peers, want %d", c.numWant, len(r.peers), c.want)
		}
	}
}

func TestHandleNumWantFamilyCap(t *testing.T) {
	s := newTestServer(t, Config{MaxNumWant: 1000})
	w := s.newWorker()
	if got := w.numWant(1000, swarm.IPv4); got != 202 {
		t.Errorf("v4 cap %d", got)
	}
	if got := w.numWant(1000, swarm.IPv6); got != 67 {
		t.Errorf("v6 cap %d", got)
	}
	if got := w.numWant(-1, swarm.IPv6); got != 50 {
		t.Errorf("v6 default %d", got)
	}
}

func TestHandlePortZero(t *testing.T) {
	s := newTestServer(t, Config{})
	w := s.newWorker()
	id := connectVia(t, w, cli4)
	msg := errorReply(t, handleCopy(w, announcePacket(annReq{cid: id, tx: 5, ih: ih(1), port: 0}), cli4), 5)
	if msg != msgPortZero {
		t.Fatalf("message %q", msg)
	}
	// Unauthenticated port-0 announces get nothing.
	if r := handleCopy(w, announcePacket(annReq{cid: id + 1, tx: 5, ih: ih(1), port: 0}), cli4); r != nil {
		t.Fatalf("reply %x", r)
	}
	if st := s.Stats(); st.PortZero != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestHandleAuthorize(t *testing.T) {
	var (
		mu   sync.Mutex
		seen []string
	)
	s := newTestServer(t, Config{Policy: policytest.Funcs{AuthorizeFunc: func(tp bittorrent.Transport, a bittorrent.Action, h bittorrent.InfoHash, url string) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, url)
		if tp != bittorrent.TransportUDP || a != bittorrent.ActionAnnounce {
			return errors.New("asked about " + tp.String() + " " + a.String())
		}
		if h == ih(6) && url != "/announce?passkey=abc" {
			return errors.New("info_hash not allowed")
		}
		return nil
	}}})
	w := s.newWorker()
	from := netip.MustParseAddrPort("[::ffff:192.0.2.1]:40000")
	id := connectVia(t, w, from)

	opts := unhex(t, exURLData)
	announceReply(t, handleCopy(w, announcePacket(annReq{cid: id, tx: 1, ih: ih(6), port: 1, options: opts}), from), 1, swarm.IPv4)
	if msg := errorReply(t, handleCopy(w, announcePacket(annReq{cid: id, tx: 2, ih: ih(6), port: 1}), from), 2); msg != "info_hash not allowed" {
		t.Fatalf("message %q", msg)
	}
	// Truncated options are ignored, the announce still goes to the hook.
	trunc := append(append([]byte(nil), opts...), 2, 9, 'x')
	errorReply(t, handleCopy(w, announcePacket(annReq{cid: id, tx: 3, ih: ih(6), port: 1, options: trunc}), from), 3)
	// Other hashes are allowed without URLData.
	announceReply(t, handleCopy(w, announcePacket(annReq{cid: id, tx: 4, ih: ih(7), port: 1, options: []byte{2, 0}}), from), 4, swarm.IPv4)

	mu.Lock()
	defer mu.Unlock()
	if want := []string{"/announce?passkey=abc", "", "", ""}; !slices.Equal(seen, want) {
		t.Fatalf("policy saw %q, want %q", seen, want)
	}
	if st := s.Stats(); st.Denied != 2 || st.TruncatedOptions != 1 || st.Announces != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestHandleScrape(t *testing.T) {
	s := newTestServer(t, Config{})
	w := s.newWorker()
	id := connectVia(t, w, cli4)
	handleCopy(w, announcePacket(annReq{cid: id, ih: ih(1), left: 0, event: 1, port: 1}), cli4)
	other := netip.MustParseAddrPort("192.0.2.7:1")
	handleCopy(w, announcePacket(annReq{cid: connectVia(t, w, other), ih: ih(1), left: 9, port: 2}), other)

	got := scrapeReply(t, handleCopy(w, scrapePacket(id, 0x11223344, ih(9), ih(1), ih(9), ih(1)), cli4), 0x11223344)
	want := []bittorrent.Counts{{}, {Complete: 1, Incomplete: 1, Downloaded: 1}, {}, {Complete: 1, Incomplete: 1, Downloaded: 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("scrape %+v, want %+v", got, want)
	}
	many := slices.Repeat([]bittorrent.InfoHash{ih(1)}, 74)
	if got := scrapeReply(t, handleCopy(w, scrapePacket(id, 1, many...), cli4), 1); len(got) != 74 {
		t.Fatalf("74 hashes: %d records", len(got))
	}
}

func TestHandleStoreFailure(t *testing.T) {
	fs := newFakeStore(nil)
	s := newTestServer(t, Config{Store: fs})
	w := s.newWorker()
	id := connectVia(t, w, cli4)
	fs.setFail(true)
	if msg := errorReply(t, handleCopy(w, announcePacket(annReq{cid: id, tx: 1, ih: ih(1), port: 1}), cli4), 1); msg != msgStoreFailure {
		t.Fatalf("announce: %q", msg)
	}
	if msg := errorReply(t, handleCopy(w, scrapePacket(id, 2, ih(1)), cli4), 2); msg != msgStoreFailure {
		t.Fatalf("scrape: %q", msg)
	}
	if st := s.Stats(); st.StoreFailures != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// shortScrapeStore answers scrapes with one record too few.
type shortScrapeStore struct{ swarm.Store }

func (s shortScrapeStore) Scrape(ctx context.Context, h []bittorrent.InfoHash, dst []bittorrent.Counts) ([]bittorrent.Counts, error) {
	dst, err := s.Store.Scrape(ctx, h, dst)
	return dst[:len(dst)-1], err
}

func TestHandleScrapeShortStore(t *testing.T) {
	s := newTestServer(t, Config{Store: shortScrapeStore{newFakeStore(nil)}})
	w := s.newWorker()
	id := connectVia(t, w, cli4)
	if msg := errorReply(t, handleCopy(w, scrapePacket(id, 2, ih(1), ih(2)), cli4), 2); msg != msgStoreFailure {
		t.Fatalf("scrape: %q", msg)
	}
}

func TestHandleNoAlloc(t *testing.T) {
	s := newTestServer(t, Config{})
	w := s.newWorker()
	ctx := context.Background()
	for i := range 60 {
		from := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)}), 1000)
		w.handle(ctx, announcePacket(annReq{cid: connectVia(t, w, from), ih: ih(1), left: 1, port: 1}), from)
	}
	id := connectVia(t, w, cli4)
	conn := connectPacket(1)
	ann := announcePacket(annReq{cid: id, ih: ih(1), left: 1, numWant: 50, port: 1, options: unhex(t, exURLData)})
	scr := scrapePacket(id, 1, ih(1), ih(2), ih(3))
	bad := announcePacket(annReq{cid: id ^ 1, ih: ih(1), port: 1})
	n := testing.AllocsPerRun(200, func() {
		w.handle(ctx, conn, cli4)
		w.handle(ctx, ann, cli4)
		w.handle(ctx, scr, cli4)
		w.handle(ctx, bad, cli4)
	})
	if n != 0 {
		t.Fatalf("%v allocs per round", n)
	}
}

func TestNewConfig(t *testing.T) {
	st := newFakeStore(nil)
	bad := []Config{
		{},
		{Store: st, Interval: time.Millisecond},
		{Store: st, PeerTTL: -1},
		{Store: st, MaxNumWant: -1},
		{Store: st, DefaultNumWant: -1},
		{Store: st, MaxScrapeHashes: -1},
		{Store: st, MaxScrapeHashes: 1 << 20},
		{Store: st, MaxScrapeHashes: MaxScrapeHashesLimit + 1},
		{Store: st, Secret: []byte("short")},
		{Store: st, Workers: -1},
	}
	for i, c := range bad {
		if _, err := New(c); !errors.Is(err, errConfig) {
			t.Errorf("config %d: err %v", i, err)
		}
	}
	s, err := New(Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	c := s.cfg
	if c.interval != 1800 || c.ttl != 61*time.Minute || c.defaultNumWant != 50 || c.maxNumWant4 != 202 ||
		c.maxNumWant6 != 67 || c.maxScrapeHashes != 74 || len(c.secret) != 32 || c.workers < 1 {
		t.Fatalf("defaults %+v", c)
	}
	s2, _ := New(Config{Store: st})
	if string(s2.cfg.secret) == string(c.secret) {
		t.Fatal("two servers got the same random secret")
	}
}
