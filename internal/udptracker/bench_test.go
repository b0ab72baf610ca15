package udptracker

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// benchWorker returns a worker on a store whose swarm ih(1) holds peers
// IPv4 leechers, and a connection id for cli4.
func benchWorker(b *testing.B, peers int) (*worker, uint64) {
	s := newTestServer(b, Config{})
	w := s.newWorker()
	ctx := context.Background()
	for i := range peers {
		from := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 1000)
		id := connectVia(b, w, from)
		if w.handle(ctx, announcePacket(annReq{cid: id, ih: ih(1), peerID: pid(byte(i)), left: 1, port: 6881}), from) == nil {
			b.Fatal("setup announce failed")
		}
	}
	return w, connectVia(b, w, cli4)
}

func BenchmarkHandleConnect(b *testing.B) {
	w, _ := benchWorker(b, 0)
	pkt := connectPacket(1)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if w.handle(ctx, pkt, cli4) == nil {
			b.Fatal("no reply")
		}
	}
}

func BenchmarkHandleAnnounce50(b *testing.B) {
	w, id := benchWorker(b, 200)
	pkt := announcePacket(annReq{cid: id, ih: ih(1), peerID: pid(0xee), left: 1, numWant: 50, port: 6881})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if r := w.handle(ctx, pkt, cli4); len(r) != announceReplyHdrLen+50*peer4Len {
			b.Fatalf("reply of %d bytes", len(r))
		}
	}
}

func BenchmarkHandleScrape(b *testing.B) {
	for _, n := range []int{1, 74} {
		b.Run(map[int]string{1: "1hash", 74: "74hashes"}[n], func(b *testing.B) {
			w, id := benchWorker(b, 10)
			hashes := make([]bittorrent.InfoHash, n)
			for i := range hashes {
				hashes[i] = ih(byte(i % 3))
			}
			pkt := scrapePacket(id, 1, hashes...)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if r := w.handle(ctx, pkt, cli4); len(r) != scrapeReplyHdrLen+n*scrapeRecordLen {
					b.Fatalf("reply of %d bytes", len(r))
				}
			}
		})
	}
}

func BenchmarkHandleBadConnID(b *testing.B) {
	w, id := benchWorker(b, 0)
	pkt := announcePacket(annReq{cid: id ^ 1, ih: ih(1), port: 6881})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if w.handle(ctx, pkt, cli4) != nil {
			b.Fatal("reply")
		}
	}
}

func BenchmarkConnIDValid(b *testing.B) {
	c := newConnIDs(testSecret)
	now := time.Now()
	ip := cli4.Addr()
	id := c.issue(now, ip)
	b.ReportAllocs()
	for b.Loop() {
		if !c.valid(id, now, ip) {
			b.Fatal("invalid")
		}
	}
}

// BenchmarkLoopbackAnnounce50 measures a full round trip over a real
// loopback socket: client write, server read, handle, write, client read.
// allocs/op covers client and server.
func BenchmarkLoopbackAnnounce50(b *testing.B) {
	conn := listen(b, "udp4", "127.0.0.1:0")
	s := newTestServer(b, Config{Workers: 1})
	w := s.newWorker()
	ctx := context.Background()
	for i := range 200 {
		from := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 1000)
		w.handle(ctx, announcePacket(annReq{cid: connectVia(b, w, from), ih: ih(1), left: 1, port: 6881}), from)
	}
	startServer(b, s, conn)
	cl, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(serverAddr(conn, swarm.IPv4)))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	from := cl.LocalAddr().(*net.UDPAddr).AddrPort()
	pkt := announcePacket(annReq{cid: w.ids.issue(time.Now(), from.Addr()), ih: ih(1), left: 1, numWant: 50, port: 6881})
	buf := make([]byte, 2048)
	if err := cl.SetReadDeadline(time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cl.Write(pkt); err != nil {
			b.Fatal(err)
		}
		n, err := cl.Read(buf)
		if err != nil {
			b.Fatal(err)
		}
		if n != announceReplyHdrLen+50*peer4Len {
			b.Fatalf("reply of %d bytes", n)
		}
	}
}

// BenchmarkLoopbackThroughput keeps a window of announces in flight from
// several client sockets and reports answered requests per second. Client
// and server share the machine's cores, so this is a lower bound for the
// server alone.
func BenchmarkLoopbackThroughput(b *testing.B) {
	const clients, window = 4, 16
	conn := listen(b, "udp4", "127.0.0.1:0")
	s := newTestServer(b, Config{})
	w := s.newWorker()
	ctx := context.Background()
	for i := range 200 {
		from := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 1000)
		w.handle(ctx, announcePacket(annReq{cid: connectVia(b, w, from), ih: ih(1), left: 1, port: 6881}), from)
	}
	startServer(b, s, conn)
	srv := net.UDPAddrFromAddrPort(serverAddr(conn, swarm.IPv4))

	type client struct {
		conn *net.UDPConn
		pkt  []byte
	}
	cls := make([]client, clients)
	for i := range cls {
		c, err := net.DialUDP("udp4", nil, srv)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		from := c.LocalAddr().(*net.UDPAddr).AddrPort()
		cls[i] = client{c, announcePacket(annReq{cid: w.ids.issue(time.Now(), from.Addr()), ih: ih(1), left: 1, numWant: 50, port: 6881})}
	}
	var remaining atomic.Int64
	remaining.Store(int64(b.N))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range cls {
		wg.Go(func() {
			buf := make([]byte, 2048)
			inflight := 0
			for {
				for inflight < window && remaining.Add(-1) >= 0 {
					if _, err := c.conn.Write(c.pkt); err != nil {
						b.Error(err)
						return
					}
					inflight++
				}
				if inflight == 0 {
					return
				}
				// A lost datagram shrinks the window; a short deadline
				// turns it back into a free slot.
				_ = c.conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
				if _, err := c.conn.Read(buf); err != nil {
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						inflight = 0
						continue
					}
					b.Error(err)
					return
				}
				inflight--
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}
