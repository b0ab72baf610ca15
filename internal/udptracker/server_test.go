package udptracker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// failAfter bounds every blocking read in these tests so a bug fails the
// test instead of hanging it. It is a safety net, not a timing assertion.
const failAfter = 10 * time.Second

// startServer serves s on conn until the test ends and checks that Serve
// then returns nil.
func startServer(t testing.TB, s *Server, conn *net.UDPConn) {
	t.Helper()
	s.noBatch = singleReads
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, conn) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		conn.Close()
	})
}

// listen opens a UDP socket on addr, skipping the test when the address
// family is not available (IPv6 loopback in some containers).
func listen(t testing.TB, network, addr string) *net.UDPConn {
	t.Helper()
	ua, err := net.ResolveUDPAddr(network, addr)
	if err != nil {
		t.Skipf("cannot resolve %s %s: %v", network, addr, err)
	}
	conn, err := net.ListenUDP(network, ua)
	if err != nil {
		t.Skipf("cannot listen on %s %s: %v", network, addr, err)
	}
	return conn
}

// serverAddr is the address clients use to reach conn: its port on the
// loopback address of family fam.
func serverAddr(conn *net.UDPConn, fam swarm.Family) netip.AddrPort {
	port := conn.LocalAddr().(*net.UDPAddr).AddrPort().Port()
	if fam == swarm.IPv4 {
		return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
	}
	return netip.AddrPortFrom(netip.IPv6Loopback(), port)
}

// rawClient speaks the wire protocol by hand.
type rawClient struct {
	t    testing.TB
	conn *net.UDPConn
	buf  []byte
	tx   uint32
	cid  uint64
}

func dial(t testing.TB, server netip.AddrPort) *rawClient {
	t.Helper()
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(server))
	if err != nil {
		t.Skipf("cannot dial %v: %v", server, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawClient{t: t, conn: conn, buf: make([]byte, 2048)}
}

// port is the client's own port, which it announces so that peers would
// reach it.
func (c *rawClient) port() uint16 {
	return c.conn.LocalAddr().(*net.UDPAddr).AddrPort().Port()
}

func (c *rawClient) send(pkt []byte) {
	c.t.Helper()
	if _, err := c.conn.Write(pkt); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *rawClient) recv() []byte {
	c.t.Helper()
	if err := c.conn.SetReadDeadline(time.Now().Add(failAfter)); err != nil {
		c.t.Fatal(err)
	}
	n, err := c.conn.Read(c.buf)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return append([]byte(nil), c.buf[:n]...)
}

func (c *rawClient) nextTx() uint32 {
	c.tx++
	return c.tx
}

func (c *rawClient) connect() {
	c.t.Helper()
	tx := c.nextTx()
	c.send(connectPacket(tx))
	c.cid = connectReply(c.t, c.recv(), tx)
}

func (c *rawClient) announce(a annReq, fam swarm.Family) annResp {
	c.t.Helper()
	a.cid, a.tx = c.cid, c.nextTx()
	if a.port == 0 {
		a.port = c.port()
	}
	c.send(announcePacket(a))
	return announceReply(c.t, c.recv(), a.tx, fam)
}

func (c *rawClient) scrape(hashes ...bittorrent.InfoHash) []bittorrent.Counts {
	c.t.Helper()
	tx := c.nextTx()
	c.send(scrapePacket(c.cid, tx, hashes...))
	return scrapeReply(c.t, c.recv(), tx)
}

func (c *rawClient) self(fam swarm.Family) netip.AddrPort {
	if fam == swarm.IPv4 {
		return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), c.port())
	}
	return netip.AddrPortFrom(netip.IPv6Loopback(), c.port())
}

func TestServeTwoPeers(t *testing.T) {
	for _, tc := range []struct {
		name    string
		network string
		addr    string
		fam     swarm.Family
	}{
		{"ipv4", "udp4", "127.0.0.1:0", swarm.IPv4},
		{"ipv6", "udp6", "[::1]:0", swarm.IPv6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn := listen(t, tc.network, tc.addr)
			s := newTestServer(t, Config{Interval: 15 * time.Minute})
			startServer(t, s, conn)
			srv := serverAddr(conn, tc.fam)

			a, b := dial(t, srv), dial(t, srv)
			a.connect()
			b.connect()
			r := a.announce(annReq{ih: ih(1), peerID: pid(1), left: 10, event: 2, numWant: -1}, tc.fam)
			if r.interval != 900 || r.leechers != 1 || r.seeders != 0 || len(r.peers) != 0 {
				t.Fatalf("a: %+v", r)
			}
			r = b.announce(annReq{ih: ih(1), peerID: pid(2), left: 0, event: 2, numWant: -1}, tc.fam)
			if r.leechers != 1 || r.seeders != 1 || !slices.Equal(r.peers, []netip.AddrPort{a.self(tc.fam)}) {
				t.Fatalf("b: %+v, want peer %v", r, a.self(tc.fam))
			}
			r = a.announce(annReq{ih: ih(1), peerID: pid(1), left: 10, numWant: 10}, tc.fam)
			if !slices.Equal(r.peers, []netip.AddrPort{b.self(tc.fam)}) {
				t.Fatalf("a again: %+v, want peer %v", r, b.self(tc.fam))
			}
			got := a.scrape(ih(1), ih(2), ih(1))
			want := []bittorrent.Counts{{Complete: 1, Incomplete: 1}, {}, {Complete: 1, Incomplete: 1}}
			if !slices.Equal(got, want) {
				t.Fatalf("scrape %+v", got)
			}
		})
	}
}

func TestServeDualStack(t *testing.T) {
	conn := listen(t, "udp", ":0")
	if !conn.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Is6() {
		conn.Close()
		t.Skip("no dual-stack socket")
	}
	s := newTestServer(t, Config{})
	startServer(t, s, conn)

	v4a, v4b := dial(t, serverAddr(conn, swarm.IPv4)), dial(t, serverAddr(conn, swarm.IPv4))
	v6a, v6b := dial(t, serverAddr(conn, swarm.IPv6)), dial(t, serverAddr(conn, swarm.IPv6))
	for _, c := range []*rawClient{v4a, v4b, v6a, v6b} {
		c.connect()
	}
	v4a.announce(annReq{ih: ih(1), left: 1}, swarm.IPv4)
	v6a.announce(annReq{ih: ih(1), left: 1}, swarm.IPv6)
	// Mapped IPv4 sources get 6-byte entries with plain IPv4 addresses.
	r := v4b.announce(annReq{ih: ih(1), left: 1, numWant: 50}, swarm.IPv4)
	if r.leechers != 3 || !slices.Equal(r.peers, []netip.AddrPort{v4a.self(swarm.IPv4)}) {
		t.Fatalf("v4 client: %+v", r)
	}
	r = v6b.announce(annReq{ih: ih(1), left: 1, numWant: 50}, swarm.IPv6)
	if r.leechers != 4 || !slices.Equal(r.peers, []netip.AddrPort{v6a.self(swarm.IPv6)}) {
		t.Fatalf("v6 client: %+v", r)
	}
}

func TestServeDropsGarbage(t *testing.T) {
	conn := listen(t, "udp4", "127.0.0.1:0")
	// One worker answers in arrival order, so a reply to a bad packet
	// would arrive before the reply to the good one that follows it.
	s := newTestServer(t, Config{Workers: 1})
	startServer(t, s, conn)
	c := dial(t, serverAddr(conn, swarm.IPv4))
	c.connect()
	c.announce(annReq{ih: ih(1), left: 1}, swarm.IPv4)

	good := announcePacket(annReq{cid: c.cid, ih: ih(1), left: 1, port: c.port()})
	wrongID := announcePacket(annReq{cid: c.cid ^ 0xff, ih: ih(1), left: 1, port: c.port()})
	unknown := slices.Clone(good)
	unknown[11] = 7
	garbage := [][]byte{
		{0},
		[]byte("GET / HTTP/1.1\r\n\r\n"),
		connectPacket(1)[:12],
		good[:16],
		good[:97],
		wrongID,
		scrapePacket(c.cid^1, 1, ih(1)),
		append(scrapePacket(c.cid, 1, ih(1)), 1, 2, 3),
		scrapePacket(c.cid, 1),
		unknown,
		make([]byte, 1500),
	}
	before := s.Stats()
	for i, g := range garbage {
		c.send(g)
		tx := uint32(1000 + i)
		c.send(scrapePacket(c.cid, tx, ih(1)))
		if got := scrapeReply(t, c.recv(), tx); len(got) != 1 || got[0].Incomplete != 1 {
			t.Fatalf("after garbage %d: %+v", i, got)
		}
	}
	st := s.Stats()
	dropped := (st.Malformed - before.Malformed) + (st.BadConnectionID - before.BadConnectionID) +
		(st.UnknownAction - before.UnknownAction) + (st.BadProtocolID - before.BadProtocolID)
	if dropped != uint64(len(garbage)) {
		t.Fatalf("%d drops counted for %d garbage packets: %+v", dropped, len(garbage), st)
	}
	if st.BadConnectionID-before.BadConnectionID != 2 || st.UnknownAction-before.UnknownAction != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestServeStopped(t *testing.T) {
	conn := listen(t, "udp4", "127.0.0.1:0")
	s := newTestServer(t, Config{})
	startServer(t, s, conn)
	srv := serverAddr(conn, swarm.IPv4)
	a, b, c := dial(t, srv), dial(t, srv), dial(t, srv)
	for _, cl := range []*rawClient{a, b, c} {
		cl.connect()
		cl.announce(annReq{ih: ih(4), left: 1, event: 2}, swarm.IPv4)
	}
	// Event 4 (paused) is accepted as an update.
	if r := c.announce(annReq{ih: ih(4), left: 0, event: 4, numWant: 50}, swarm.IPv4); r.seeders != 1 || r.leechers != 2 || len(r.peers) != 2 {
		t.Fatalf("paused: %+v", r)
	}
	if r := a.announce(annReq{ih: ih(4), left: 1, event: 3, numWant: 50}, swarm.IPv4); r.seeders != 1 || r.leechers != 1 || len(r.peers) != 0 {
		t.Fatalf("stopped: %+v", r)
	}
	r := b.announce(annReq{ih: ih(4), left: 1, numWant: 50}, swarm.IPv4)
	if r.seeders != 1 || r.leechers != 1 || !slices.Equal(r.peers, []netip.AddrPort{c.self(swarm.IPv4)}) {
		t.Fatalf("after stop: %+v", r)
	}
}

func TestServeConcurrentClients(t *testing.T) {
	conn := listen(t, "udp4", "127.0.0.1:0")
	s := newTestServer(t, Config{Workers: 4})
	startServer(t, s, conn)
	srv := serverAddr(conn, swarm.IPv4)
	const clients, rounds = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		c := dial(t, srv)
		wg.Go(func() {
			ft := &fatalRecorder{TB: t}
			c.t = ft
			func() {
				defer func() { recover() }()
				c.connect()
				for range rounds {
					c.announce(annReq{ih: ih(byte(i % 2)), peerID: pid(byte(i)), left: 1}, swarm.IPv4)
					c.scrape(ih(0), ih(1))
				}
			}()
			if ft.msg != "" {
				errs <- errors.New(ft.msg)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := s.Stats(); st.Announces != clients*rounds || st.Scrapes != clients*rounds {
		t.Fatalf("stats %+v", st)
	}
}

// fatalRecorder lets client helpers fail from a goroutine other than the
// test's: Fatalf records the message and unwinds with a panic that the
// goroutine recovers.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(f)
}

func (f *fatalRecorder) Fatal(args ...any) {
	f.msg = fmt.Sprint(args...)
	panic(f)
}

func TestServeStops(t *testing.T) {
	conn := listen(t, "udp4", "127.0.0.1:0")
	defer conn.Close()
	s := newTestServer(t, Config{Workers: 3})

	// Cancel: Serve returns nil and leaves the socket usable.
	for range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Serve(ctx, conn) }()
		c := dial(t, serverAddr(conn, swarm.IPv4))
		c.connect()
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Serve after cancel: %v", err)
		}
	}

	// Close: Serve returns nil.
	done := make(chan error, 1)
	go func() { done <- s.Serve(context.Background(), conn) }()
	c := dial(t, serverAddr(conn, swarm.IPv4))
	c.connect()
	conn.Close()
	if err := <-done; err != nil {
		t.Fatalf("Serve after close: %v", err)
	}
	if err := s.Serve(context.Background(), nil); err == nil {
		t.Fatal("Serve(nil) succeeded")
	}
}
