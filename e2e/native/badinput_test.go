package native_test

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/testkit/bencodetest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
)

// TestBadNativeInputKeepsServing sends malformed UDP datagrams and HTTP
// announces. UDP garbage must get no reply at all (docs/protocol.md §10.6:
// no reflection); bad HTTP announces get status 200 with a bencoded failure
// reason naming the problem (docs/protocol.md §10.4). Between and after the
// bad traffic, and while a goroutine keeps spraying garbage, a good UDP
// client and a good HTTP client keep getting correct answers.
func TestBadNativeInputKeepsServing(t *testing.T) {
	tr := trackerproc.Start(t, trackerBin)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// The well-behaved pair: an HTTP seeder and a UDP leecher on one hash.
	goodIH, httpID, udpID := randomID(t), randomID(t), randomID(t)
	const goodHTTPPort, goodUDPPort = 41001, 41002
	loop := netip.MustParseAddr("127.0.0.1")
	good, httpc := udpTracker(t, tr.UDPAddr), httpTracker(t, tr)
	round := 0
	checkGood := func(when string) {
		t.Helper()
		round++
		ur, err := good.Announce(ctx, announceReq(goodIH, udpID, goodUDPPort, 1000, bittorrent.EventUpdate))
		if err != nil {
			t.Fatalf("%s: good UDP announce: %v", when, err)
		}
		hr, err := httpc.Announce(ctx, announceReq(goodIH, httpID, goodHTTPPort, 0, bittorrent.EventUpdate))
		if err != nil {
			t.Fatalf("%s: good HTTP announce: %v", when, err)
		}
		if hr.Counts.Complete != 1 || hr.Counts.Incomplete != 1 || !slices.Equal(peerAddrs(hr), []netip.AddrPort{netip.AddrPortFrom(loop, goodUDPPort)}) {
			t.Fatalf("%s: good HTTP announce got complete=%d incomplete=%d peers=%v; want 1, 1, [127.0.0.1:%d]", when, hr.Counts.Complete, hr.Counts.Incomplete, peerAddrs(hr), goodUDPPort)
		}
		if round > 1 && (ur.Counts.Complete != 1 || ur.Counts.Incomplete != 1 || !slices.Equal(peerAddrs(ur), []netip.AddrPort{netip.AddrPortFrom(loop, goodHTTPPort)})) {
			t.Fatalf("%s: good UDP announce got complete=%d incomplete=%d peers=%v; want 1, 1, [127.0.0.1:%d]", when, ur.Counts.Complete, ur.Counts.Incomplete, peerAddrs(ur), goodHTTPPort)
		}
		sc, err := scrapeOne(ctx, good, goodIH)
		if err != nil {
			t.Fatalf("%s: good UDP scrape: %v", when, err)
		}
		if want := (bittorrent.Counts{Complete: 1, Incomplete: 1}); sc != want {
			t.Fatalf("%s: good UDP scrape = %+v, want %+v", when, sc, want)
		}
	}
	checkGood("before bad traffic")

	// A background sprayer sends random garbage from another socket while
	// the cases below run; none of it may be answered either. It is
	// bounded (sprayBudget datagrams, 20 ms apart) because the tracker
	// limits UDP packets per client IP (SWARMBRIDGE_UDP_REQUESTS_PER_IP,
	// default 1200 a minute) and every client here is 127.0.0.1: an
	// unbounded flood would, correctly, get the good client dropped too.
	sprayCtx, stopSpray := context.WithCancel(ctx)
	var sprayWG sync.WaitGroup
	sprayer := dialUDPTracker(t, tr.UDPAddr)
	sprayReplies := make(chan []byte, 1)
	sprayWG.Add(2)
	go func() {
		defer sprayWG.Done()
		buf := make([]byte, 2048)
		for {
			_ = sprayer.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			n, err := sprayer.conn.Read(buf)
			if err == nil {
				select {
				case sprayReplies <- append([]byte(nil), buf[:n]...):
				default:
				}
				continue
			}
			if sprayCtx.Err() != nil {
				return
			}
		}
	}()
	go func() {
		defer sprayWG.Done()
		const sprayBudget = 300
		b := make([]byte, 1500)
		for i := 0; i < sprayBudget && sprayCtx.Err() == nil; i++ {
			n := 1 + (i*37)%len(b)
			_, _ = rand.Read(b[:n])
			b[0] |= 0x80 // a valid connect starts with 0x00; never send one
			_, _ = sprayer.conn.Write(b[:n])
			time.Sleep(20 * time.Millisecond)
		}
	}()
	defer func() {
		stopSpray()
		sprayWG.Wait()
	}()

	// Bad UDP, each sent on a fresh socket so any reply is attributable.
	udpCases := []struct {
		name string
		pkt  func(connID uint64) []byte
	}{
		{"random bytes", func(uint64) []byte {
			b := make([]byte, 64)
			_, _ = rand.Read(b)
			b[0] |= 0x80 // the protocol magic starts with 0x00: never send it
			return b
		}},
		{"empty datagram", func(uint64) []byte { return []byte{} }},
		{"truncated connect", func(uint64) []byte { return connectPacket(newTID())[:15] }},
		{"connect with wrong protocol id", func(uint64) []byte {
			p := connectPacket(newTID())
			p[7] ^= 1
			return p
		}},
		{"announce with wrong connection id", func(id uint64) []byte {
			return announcePacket(id^0x5a5a5a5a5a5a5a5a, newTID(), udpAnnounce{infoHash: goodIH, peerID: randomID(t), left: 0, port: 42000, numWant: -1})
		}},
		{"announce with the protocol magic as connection id", func(uint64) []byte {
			return announcePacket(udpProtocolID, newTID(), udpAnnounce{infoHash: goodIH, peerID: randomID(t), left: 0, port: 42001, numWant: -1})
		}},
		{"announce of 97 bytes", func(id uint64) []byte {
			return announcePacket(id, newTID(), udpAnnounce{infoHash: goodIH, peerID: randomID(t), left: 0, port: 42002, numWant: -1})[:97]
		}},
		{"announce of 20 bytes", func(id uint64) []byte {
			return announcePacket(id, newTID(), udpAnnounce{infoHash: goodIH, peerID: randomID(t), left: 0, port: 42003, numWant: -1})[:20]
		}},
		{"scrape with 19 hash bytes", func(id uint64) []byte {
			return scrapePacket(id, newTID(), goodIH)[:16+19]
		}},
		{"scrape with 1.5 hashes", func(id uint64) []byte {
			return scrapePacket(id, newTID(), goodIH, goodIH)[:16+30]
		}},
		{"scrape with wrong connection id", func(id uint64) []byte {
			return scrapePacket(id+1, newTID(), goodIH)
		}},
		{"unknown action", func(id uint64) []byte {
			p := scrapePacket(id, newTID(), goodIH)
			binary.BigEndian.PutUint32(p[8:], 7)
			return p
		}},
	}
	for _, tc := range udpCases {
		c := dialUDPTracker(t, tr.UDPAddr)
		// A valid connection id for this socket, so the length checks are
		// what must reject the packet, not the id.
		if err := c.connect(); err != nil {
			t.Fatalf("%s: connect: %v", tc.name, err)
		}
		if _, err := c.conn.Write(tc.pkt(c.connID)); err != nil {
			t.Fatalf("%s: write: %v", tc.name, err)
		}
		expectSilence(t, c.conn, 400*time.Millisecond, "UDP "+tc.name)
		// The same socket still works afterwards.
		if _, err := c.scrape(goodIH); err != nil {
			t.Fatalf("%s: valid scrape after the bad packet: %v", tc.name, err)
		}
		checkGood("after UDP " + tc.name)
	}

	// Bad HTTP announces.
	ih, pid := pctEncode(goodIH[:]), pctEncode(randomID(t).bytes())
	pad := "&pad=" + strings.Repeat("x", 16<<10)
	httpCases := []struct {
		name, query string
		wantAny     []string // the failure reason must contain one of these
	}{
		{"missing info_hash", "peer_id=" + pid + "&port=6881&left=0", []string{"info_hash"}},
		{"short info_hash", "info_hash=" + pctEncode(goodIH[:19]) + "&peer_id=" + pid + "&port=6881", []string{"info_hash"}},
		{"long info_hash", "info_hash=" + ih + "%00&peer_id=" + pid + "&port=6881", []string{"info_hash"}},
		{"hex info_hash", "info_hash=" + strings.Repeat("ab", 20) + "&peer_id=" + pid + "&port=6881", []string{"info_hash"}},
		{"empty info_hash", "info_hash=&peer_id=" + pid + "&port=6881", []string{"info_hash"}},
		{"missing peer_id", "info_hash=" + ih + "&port=6881&left=0", []string{"peer_id"}},
		{"short peer_id", "info_hash=" + ih + "&peer_id=-qB4650-abc&port=6881", []string{"peer_id"}},
		{"long peer_id", "info_hash=" + ih + "&peer_id=" + pid + "xyz&port=6881", []string{"peer_id"}},
		{"missing port", "info_hash=" + ih + "&peer_id=" + pid + "&left=0", []string{"port"}},
		{"port 0", "info_hash=" + ih + "&peer_id=" + pid + "&port=0", []string{"port"}},
		{"port 65536", "info_hash=" + ih + "&peer_id=" + pid + "&port=65536", []string{"port"}},
		{"port -1", "info_hash=" + ih + "&peer_id=" + pid + "&port=-1", []string{"port"}},
		{"port text", "info_hash=" + ih + "&peer_id=" + pid + "&port=http", []string{"port"}},
		{"port huge", "info_hash=" + ih + "&peer_id=" + pid + "&port=99999999999999999999999", []string{"port"}},
		{"bad escape in info_hash", "info_hash=%zz" + ih[3:] + "&peer_id=" + pid + "&port=6881", []string{"percent", "escape", "encod"}},
		{"truncated escape at end", "info_hash=" + ih + "&peer_id=" + pid + "&port=6881&left=%4", []string{"percent", "escape", "encod"}},
		{"bad escape in key", "info_hash=" + ih + "&peer_id=" + pid + "&port=6881&%g1=1", []string{"percent", "escape", "encod"}},
		{"oversize query", "info_hash=" + ih + "&peer_id=" + pid + "&port=6881" + pad, []string{"long", "large", "size"}},
	}
	for _, tc := range httpCases {
		status, body, err := httpGet(ctx, tr.HTTPURL(), "/announce", tc.query)
		if err != nil {
			t.Fatalf("HTTP %s: %v", tc.name, err)
		}
		if status != http.StatusOK {
			t.Errorf("HTTP %s: status %d, want 200 (body %q)", tc.name, status, body)
		}
		m, err := bencodetest.Dict(body)
		if err != nil {
			t.Errorf("HTTP %s: body %q is not a bencoded dictionary: %v", tc.name, body, err)
			continue
		}
		reason, err := bencodetest.Str(m, "failure reason")
		if err != nil {
			t.Errorf("HTTP %s: %v in %q", tc.name, err, body)
			continue
		}
		if !containsAny(strings.ToLower(reason), tc.wantAny) {
			t.Errorf("HTTP %s: failure reason %q names none of %q", tc.name, reason, tc.wantAny)
		}
		for _, k := range []string{"peers", "peers6", "interval"} {
			if _, ok := m[k]; ok {
				t.Errorf("HTTP %s: failure response also carries %q: %q", tc.name, k, body)
			}
		}
		t.Logf("HTTP %s: %q", tc.name, reason)
		checkGood("after HTTP " + tc.name)
	}

	// None of the rejected announces may have joined the good swarm.
	hs, err := scrapeOne(ctx, httpc, goodIH)
	if err != nil {
		t.Fatal(err)
	}
	if want := (bittorrent.Counts{Complete: 1, Incomplete: 1}); hs != want {
		t.Errorf("HTTP scrape of the good swarm after bad traffic = %+v, want %+v", hs, want)
	}
	stopSpray()
	sprayWG.Wait()
	select {
	case b := <-sprayReplies:
		t.Errorf("the tracker answered random UDP garbage with % x", b)
	default:
	}
	checkGood("after all bad traffic")
}

func (id id20) bytes() []byte { return id[:] }

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// expectSilence fails if anything arrives on conn within d.
func expectSilence(t *testing.T, conn *net.UDPConn, d time.Duration, what string) {
	t.Helper()
	buf := make([]byte, 2048)
	_ = conn.SetReadDeadline(time.Now().Add(d))
	n, err := conn.Read(buf)
	var ne net.Error
	switch {
	case err == nil:
		t.Errorf("%s: tracker replied with % x; want no reply", what, buf[:n])
	case errors.As(err, &ne) && ne.Timeout():
	default:
		t.Errorf("%s: read: %v", what, err)
	}
}
