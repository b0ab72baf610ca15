package trackerclient_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/trackerclient"
)

var quick = trackerclient.Options{Retransmit: trackerclient.Schedule{First: 100 * time.Millisecond, Attempts: 3}}

func newUDP(t *testing.T, url string, opts trackerclient.Options) *trackerclient.UDPClient {
	t.Helper()
	c, err := trackerclient.NewUDP(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func announceReq(ih byte, peer byte, port uint16, left int64, ev bittorrent.Event) trackerclient.AnnounceRequest {
	return trackerclient.AnnounceRequest{InfoHash: bittorrent.InfoHash{ih}, PeerID: bittorrent.PeerID{peer}, Port: port, Left: left, Event: ev}
}

func TestUDPAgainstSwarmbridge(t *testing.T) {
	tr := startTB(t)
	c := newUDP(t, "udp://"+tr.UDPAddr+"/announce", quick)
	ctx := ctxT(t, 10*time.Second)
	ih := bittorrent.InfoHash{9}
	if _, err := c.Announce(ctx, announceReq(9, 'a', 7001, 0, bittorrent.EventStarted)); err != nil {
		t.Fatal(err)
	}
	r, err := c.Announce(ctx, announceReq(9, 'b', 7002, 5, bittorrent.EventStarted))
	if err != nil {
		t.Fatal(err)
	}
	want := netip.MustParseAddrPort("127.0.0.1:7001")
	if len(r.Peers) != 1 || r.Peers[0].Addr != want || r.Counts.Complete != 1 || r.Counts.Incomplete != 1 || r.Interval != 30*time.Minute {
		t.Fatalf("leecher's reply %+v, want peer %s and counts 1/1, interval 30m", r, want)
	}
	s, err := c.Scrape(ctx, []bittorrent.InfoHash{ih, {8}})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Files[ih]; got != (bittorrent.Counts{Complete: 1, Incomplete: 1}) || s.Files[bittorrent.InfoHash{8}] != (bittorrent.Counts{}) || len(s.Files) != 2 {
		t.Fatalf("scrape %+v", s.Files)
	}
	for _, p := range []byte{'a', 'b'} {
		if _, err := c.Announce(ctx, announceReq(9, p, 7000+uint16(p-'a'+1), 0, bittorrent.EventStopped)); err != nil {
			t.Fatal(err)
		}
	}
	if s, err = c.Scrape(ctx, []bittorrent.InfoHash{ih}); err != nil || s.Files[ih] != (bittorrent.Counts{}) {
		t.Fatalf("scrape after stopped: %+v, %v", s, err)
	}
}

// Many goroutines share one client; each gets its own reply.
func TestUDPConcurrentRequests(t *testing.T) {
	tr := startTB(t)
	c := newUDP(t, "udp://"+tr.UDPAddr, quick)
	ctx := ctxT(t, 20*time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := c.Announce(ctx, announceReq(byte(100+i), 'p', 7000, 0, bittorrent.EventStarted))
			if err == nil && r.Counts.Complete != 1 {
				err = errors.New("wrong counts for a new swarm")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// A private tracker reads the key from the URL path, which only BEP 41
// URLData carries over UDP.
func TestUDPPrivateKeyInURLData(t *testing.T) {
	keys := t.TempDir() + "/keys"
	writeFile(t, keys, "secretkey123\n")
	tr := startTB(t, "SWARMBRIDGE_KEYS_FILE="+keys)
	ctx := ctxT(t, 10*time.Second)
	ok := newUDP(t, "udp://"+tr.UDPAddr+"/announce/secretkey123", quick)
	if _, err := ok.Announce(ctx, announceReq(1, 'a', 7001, 0, bittorrent.EventStarted)); err != nil {
		t.Fatalf("keyed announce: %v", err)
	}
	bad := newUDP(t, "udp://"+tr.UDPAddr+"/announce/wrongkey456", quick)
	_, err := bad.Announce(ctx, announceReq(1, 'a', 7001, 0, bittorrent.EventStarted))
	var fe *trackerclient.FailureError
	if !errors.As(err, &fe) || fe.Reason != "unknown key" {
		t.Fatalf("announce with a wrong key: %v, want the failure \"unknown key\"", err)
	}
}

func TestUDPURLDataSplitAt255(t *testing.T) {
	f := startFakeUDP(t, honest(func(pkt []byte) [][]byte {
		return [][]byte{reply(1, tidOf(pkt), u32(60), u32(0), u32(0))}
	}))
	long := "/" + strings.Repeat("k", 300) + "/announce?passkey=x%20y"
	c := newUDP(t, "udp://"+f.addr+long, quick)
	if _, err := c.Announce(ctxT(t, 5*time.Second), announceReq(1, 'a', 1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	urlData := f.last(1)[98:]
	var joined []byte
	for b := urlData; len(b) > 0; {
		if b[0] != 2 || len(b) < 2 || int(b[1]) > len(b)-2 {
			t.Fatalf("options %x are not URLData", urlData)
		}
		if b[1] != 255 && len(b) > int(b[1])+2 {
			t.Fatalf("a short URLData piece before the last: %x", urlData)
		}
		n := 2 + int(b[1])
		joined = append(joined, b[2:n]...)
		b = b[n:]
	}
	if string(joined) != long {
		t.Fatalf("URLData %q, want %q", joined, long)
	}
}

func TestUDPAnnounceFields(t *testing.T) {
	f := startFakeUDP(t, honest(func(pkt []byte) [][]byte {
		return [][]byte{reply(1, tidOf(pkt), u32(60), u32(0), u32(0))}
	}))
	c := newUDP(t, "udp://"+f.addr, quick)
	req := trackerclient.AnnounceRequest{InfoHash: bittorrent.InfoHash{1, 2}, PeerID: bittorrent.PeerID{3, 4}, Port: 6881,
		Uploaded: 5, Downloaded: 6, Left: bittorrent.LeftUnknown, Event: bittorrent.EventStopped, NumWant: trackerclient.NumWantNone,
		Key: 0xdeadbeef, IP: netip.MustParseAddr("192.0.2.7")}
	if _, err := c.Announce(ctxT(t, 5*time.Second), req); err != nil {
		t.Fatal(err)
	}
	be := binary.BigEndian
	got := f.last(1)
	if len(got) != 98 || be.Uint64(got) != 7 || be.Uint32(got[8:]) != 1 || got[16] != 1 || got[36] != 3 ||
		be.Uint64(got[56:]) != 6 || be.Uint64(got[64:]) != ^uint64(0) || be.Uint64(got[72:]) != 5 || be.Uint32(got[80:]) != 3 ||
		netip.AddrFrom4([4]byte(got[84:88])).String() != "192.0.2.7" || be.Uint32(got[88:]) != 0xdeadbeef || be.Uint32(got[92:]) != 0 || be.Uint16(got[96:]) != 6881 {
		t.Fatalf("announce packet %x", got)
	}
	req.NumWant, req.Event = 0, bittorrent.EventStarted
	if _, err := c.Announce(ctxT(t, 5*time.Second), req); err != nil {
		t.Fatal(err)
	}
	got = f.last(1)
	if be.Uint32(got[92:]) != 0xffffffff || be.Uint32(got[80:]) != 2 {
		t.Fatalf("default numwant must be -1 and started 2: %x", got[80:])
	}
}

// BEP 15: a connection id is used for one minute, then the client connects
// again. Announces that go unanswered make it reconnect too.
func TestUDPConnectionIDLifetime(t *testing.T) {
	f := startFakeUDP(t, honest(nil))
	c := newUDP(t, f.URL(), quick)
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	trackerclient.SetClock(c, func() time.Time { return time.Unix(0, now.Load()) })
	ctx := ctxT(t, 5*time.Second)
	for range 3 {
		if _, err := c.Announce(ctx, announceReq(1, 'a', 1, 0, 0)); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count(0); n != 1 {
		t.Fatalf("%d connects for 3 announces within a minute, want 1", n)
	}
	now.Add(int64(59 * time.Second))
	_, _ = c.Announce(ctx, announceReq(1, 'a', 1, 0, 0))
	now.Add(int64(2 * time.Second))
	_, _ = c.Announce(ctx, announceReq(1, 'a', 1, 0, 0))
	if n := f.count(0); n != 2 {
		t.Fatalf("%d connects, want 2 (one after the id turned 60 s old)", n)
	}
	if id, err := c.Connect(ctx); err != nil || id != 7 || f.count(0) != 3 {
		t.Fatalf("Connect: %d, %v (connects %d)", id, err, f.count(0))
	}
}

func TestUDPScrapeSplitsAt74(t *testing.T) {
	f := startFakeUDP(t, honest(func(pkt []byte) [][]byte {
		n := (len(pkt) - 16) / 20
		out := reply(2, tidOf(pkt))
		for i := range n {
			h := pkt[16+20*i:]
			out = append(out, u32(uint32(h[0]))...) // seeders = first byte of the hash
			out = append(out, u32(uint32(h[1]))...) // completed
			out = append(out, u32(uint32(h[2]))...) // leechers
		}
		return [][]byte{out}
	}))
	c := newUDP(t, f.URL(), quick)
	var hashes []bittorrent.InfoHash
	for i := range 150 {
		hashes = append(hashes, bittorrent.InfoHash{byte(i), byte(i + 1), byte(i + 2), 0xff})
	}
	s, err := c.Scrape(ctxT(t, 5*time.Second), hashes)
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, p := range f.withAction(2) {
		sizes = append(sizes, (len(p)-16)/20)
	}
	if len(sizes) != 3 || sizes[0] != 74 || sizes[1] != 74 || sizes[2] != 2 {
		t.Fatalf("hashes per packet %v, want [74 74 2]", sizes)
	}
	for i, h := range hashes {
		if got, want := s.Files[h], (bittorrent.Counts{Complete: i, Downloaded: i + 1, Incomplete: i + 2}); got != want {
			t.Fatalf("hash %d: %+v, want %+v", i, got, want)
		}
	}
}

func TestUDPFailures(t *testing.T) {
	errorPacket := func(pkt []byte) [][]byte { return [][]byte{reply(3, tidOf(pkt), []byte("go away\x07"))} }
	for _, tc := range []struct {
		name    string
		handle  func([]byte) [][]byte
		check   func(t *testing.T, err error)
		connect bool
	}{
		{name: "error packet on announce", handle: honest(errorPacket), check: wantFailure("go away\x07", `tracker failure: go away\a`)},
		{name: "error packet on connect", handle: errorPacket, check: wantFailure("go away\x07", "")},
		{name: "truncated connect reply", handle: func(p []byte) [][]byte { return [][]byte{reply(0, tidOf(p), []byte{1, 2})} },
			check: wantMalformed("connect reply of 10 bytes, want 16")},
		{name: "truncated announce reply", handle: honest(func(p []byte) [][]byte { return [][]byte{reply(1, tidOf(p), u32(60))} }),
			check: wantMalformed("announce reply of 12 bytes, want at least 20")},
		{name: "partial peer entry", handle: honest(func(p []byte) [][]byte {
			return [][]byte{reply(1, tidOf(p), u32(60), u32(0), u32(1), []byte{1, 2, 3, 4, 5})}
		}), check: wantMalformed(`"peers" is 5 bytes, not a multiple of 6`)},
		{name: "wrong action", handle: honest(func(p []byte) [][]byte { return [][]byte{reply(2, tidOf(p))} }),
			check: wantMalformed("a scrape reply (action 2) to a announce request")},
		{name: "wrong transaction id", handle: honest(func(p []byte) [][]byte {
			bad := append([]byte(nil), tidOf(p)...)
			bad[0] ^= 0xff
			return [][]byte{reply(1, bad, u32(60), u32(0), u32(0))}
		}), check: wantTimeout("after 3 attempt(s)", "3 packet(s) with an unknown transaction id ignored")},
		{name: "garbage", handle: honest(func([]byte) [][]byte { return [][]byte{{1, 2, 3}, []byte("<html>")} }),
			check: wantTimeout("6 packet(s) too short to carry a transaction id ignored")},
		{name: "silence", handle: func([]byte) [][]byte { return nil }, check: wantTimeout("udp connect to", "after 3 attempt(s)")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startFakeUDP(t, tc.handle)
			c := newUDP(t, f.URL(), quick)
			_, err := c.Announce(ctxT(t, 10*time.Second), announceReq(1, 'a', 1, 0, 0))
			tc.check(t, err)
		})
	}
}

func wantFailure(reason, msg string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var fe *trackerclient.FailureError
		if !errors.As(err, &fe) || fe.Reason != reason || !strings.Contains(err.Error(), msg) {
			t.Fatalf("error %v, want a FailureError with reason %q", err, reason)
		}
	}
}

func wantMalformed(msg string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, trackerclient.ErrMalformed) || !strings.Contains(err.Error(), msg) {
			t.Fatalf("error %v, want ErrMalformed saying %q", err, msg)
		}
	}
}

func wantTimeout(msgs ...string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, trackerclient.ErrTimeout) {
			t.Fatalf("error %v, want ErrTimeout", err)
		}
		for _, m := range msgs {
			if !strings.Contains(err.Error(), m) {
				t.Fatalf("error %q does not say %q", err, m)
			}
		}
	}
}

// The context's deadline cuts the schedule short, and says so.
func TestUDPDeadline(t *testing.T) {
	f := startFakeUDP(t, func([]byte) [][]byte { return nil })
	c := newUDP(t, f.URL(), trackerclient.Options{}) // BEP 15's 15 s first wait
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.Announce(ctx, announceReq(1, 'a', 1, 0, 0))
	if !errors.Is(err, trackerclient.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("error %v after %s, want ErrTimeout and DeadlineExceeded at 300ms", err, time.Since(start))
	}
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	if _, err := c.Announce(ctx, announceReq(1, 'a', 1, 0, 0)); !errors.Is(err, context.Canceled) || errors.Is(err, trackerclient.ErrTimeout) {
		t.Fatalf("cancelled: %v", err)
	}
}

// Retransmissions keep the transaction id, so a late reply to the first
// attempt still counts; the schedule doubles.
func TestUDPRetransmitSchedule(t *testing.T) {
	var times []time.Time
	var tids [][]byte
	var mu sync.Mutex
	f := startFakeUDP(t, func(p []byte) [][]byte {
		mu.Lock()
		defer mu.Unlock()
		times = append(times, time.Now())
		tids = append(tids, append([]byte(nil), tidOf(p)...))
		if len(times) < 3 {
			return nil
		}
		return [][]byte{reply(0, tidOf(p), u64(9))}
	})
	c := newUDP(t, f.URL(), trackerclient.Options{Retransmit: trackerclient.Schedule{First: 100 * time.Millisecond, Attempts: 4}})
	id, err := c.Connect(ctxT(t, 5*time.Second))
	if err != nil || id != 9 {
		t.Fatalf("connect: %d, %v", id, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(times) != 3 || string(tids[0]) != string(tids[1]) || string(tids[1]) != string(tids[2]) {
		t.Fatalf("%d sends, tids %x", len(times), tids)
	}
}

// Each attempt waits twice as long as the one before it (BEP 15's
// 15·2^n s); the schedule is checked as a computation, not on a clock.
func TestScheduleDoublesEachWait(t *testing.T) {
	for i, want := range []time.Duration{15 * time.Second, 30 * time.Second, 60 * time.Second, 3840 * time.Second} {
		n := []int{1, 2, 3, 9}[i]
		if got := trackerclient.ScheduleWait(trackerclient.BEP15Schedule, n); got != want {
			t.Errorf("attempt %d waits %s, want %s", n, got, want)
		}
	}
}

// Nothing listens: the ICMP error ends the request at once.
func TestUDPConnectionRefused(t *testing.T) {
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	_ = pc.Close()
	c := newUDP(t, "udp://"+addr, trackerclient.Options{})
	// A timeout error here would mean the ICMP error was ignored and the
	// client waited out its schedule.
	_, err = c.Connect(ctxT(t, 10*time.Second))
	if err == nil || !strings.Contains(err.Error(), "refused") || errors.Is(err, trackerclient.ErrTimeout) {
		t.Fatalf("error %v, want connection refused", err)
	}
}

func TestUDPClose(t *testing.T) {
	f := startFakeUDP(t, func([]byte) [][]byte { return nil })
	c, err := trackerclient.NewUDP(f.URL(), trackerclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := c.Connect(context.Background())
		errc <- err
	}()
	for len(f.packets()) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, trackerclient.ErrClosed) {
		t.Fatalf("request in flight: %v, want ErrClosed", err)
	}
	if _, err := c.Announce(context.Background(), announceReq(1, 'a', 1, 0, 0)); !errors.Is(err, trackerclient.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestNewRefusesBadURLs(t *testing.T) {
	for url, want := range map[string]string{
		"ws:///announce":              "has no host",
		"ftp://tracker.example":       "want http, https, udp, ws or wss",
		"udp://tracker.example":       "needs a host and a port",
		"http:///announce":            "has no host",
		"udp://tracker.example:1/%zz": "invalid URL escape",
	} {
		_, err := trackerclient.New(url, trackerclient.Options{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%q): %v, want an error saying %q", url, err, want)
		}
	}
	if _, err := trackerclient.New("gopher://x", trackerclient.Options{}); !errors.Is(err, trackerclient.ErrUnsupportedScheme) {
		t.Errorf("gopher: %v, want ErrUnsupportedScheme", err)
	}
}
