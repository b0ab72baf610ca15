package ops_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
)

// fromIP returns an HTTP client whose connections come from a given
// loopback address, so per-IP limits can tell abusers from good clients.
func fromIP(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4}}
}

func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// goodClients checks, over every transport, that a well-behaved client
// from its own address gets correct answers.
type goodClients struct {
	t   *testing.T
	tr  *trackerproc.Tracker
	ws  *websocket.Conn
	udp *net.UDPConn
	cid uint64
	tx  uint32
	web *http.Client
}

const goodHash = "\\u0042\\u0042\\u0042\\u0042\\u0042\\u0042\\u0042\\u0042\\u0042\\u0042\\u0042\\u0042\\u0042\\u0042\\u0042\\u0042\\u0042\\u0042\\u0042\\u0042"

func newGoodClients(t *testing.T, tr *trackerproc.Tracker) *goodClients {
	g := &goodClients{t: t, tr: tr, web: fromIP("127.0.0.2")}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, tr.WSURL(), &websocket.DialOptions{HTTPClient: fromIP("127.0.0.2")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	g.ws = ws
	g.wsRoundTrip(`{"action":"announce","event":"started","left":0,"info_hash":"` + goodHash + `","peer_id":"GOODGOODGOODGOODGOOD"}`)
	ua, err := net.ResolveUDPAddr("udp", tr.UDPAddr)
	if err != nil {
		t.Fatal(err)
	}
	g.udp, err = net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 3)}, ua)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.udp.Close() })
	return g
}

func (g *goodClients) wsRoundTrip(msg string) string {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.ws.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		g.t.Fatalf("good WebSocket client: %v", err)
	}
	_, b, err := g.ws.Read(ctx)
	if err != nil {
		g.t.Fatalf("good WebSocket client: %v", err)
	}
	return string(b)
}

func (g *goodClients) udpRoundTrip(pkt []byte) []byte {
	g.t.Helper()
	buf := make([]byte, 2048)
	for attempt := 0; attempt < 5; attempt++ { // UDP may drop under a flood; clients retransmit
		if _, err := g.udp.Write(pkt); err != nil {
			g.t.Fatal(err)
		}
		_ = g.udp.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := g.udp.Read(buf)
		if err == nil {
			return buf[:n]
		}
	}
	g.t.Fatal("good UDP client: no reply after 5 tries")
	return nil
}

// check runs one round of good requests on every transport.
func (g *goodClients) check() {
	g.t.Helper()
	if got := g.wsRoundTrip(`{"action":"scrape","info_hash":"` + goodHash + `"}`); !strings.Contains(got, `"complete":1`) {
		g.t.Fatalf("good WebSocket scrape: %s", got)
	}
	g.tx++
	connect := binary.BigEndian.AppendUint64(nil, 0x41727101980)
	connect = binary.BigEndian.AppendUint32(connect, 0)
	connect = binary.BigEndian.AppendUint32(connect, g.tx)
	reply := g.udpRoundTrip(connect)
	if len(reply) != 16 || binary.BigEndian.Uint32(reply[4:8]) != g.tx {
		g.t.Fatalf("good UDP connect: % x", reply)
	}
	g.cid = binary.BigEndian.Uint64(reply[8:16])
	g.tx++
	scrape := binary.BigEndian.AppendUint64(nil, g.cid)
	scrape = binary.BigEndian.AppendUint32(scrape, 2)
	scrape = binary.BigEndian.AppendUint32(scrape, g.tx)
	scrape = append(scrape, bytes.Repeat([]byte{0x42}, 20)...)
	reply = g.udpRoundTrip(scrape)
	if len(reply) != 20 || binary.BigEndian.Uint32(reply[8:12]) != 1 {
		g.t.Fatalf("good UDP scrape: % x", reply)
	}
	resp, err := g.web.Get(g.tr.HTTPURL() + "/scrape?info_hash=" + strings.Repeat("B", 20))
	if err != nil {
		g.t.Fatalf("good HTTP client: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(body, []byte("8:completei1e")) {
		g.t.Fatalf("good HTTP scrape: %q", body)
	}
}

// abuse sends one wave of bad traffic from 127.0.0.1 on every transport:
// garbage and oversized WebSocket messages on many connections, garbage
// UDP datagrams, and malformed HTTP announces.
func abuse(t *testing.T, tr *trackerproc.Tracker, rng *rand.Rand) {
	var wg sync.WaitGroup
	for c := range 40 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			ws, _, err := websocket.Dial(ctx, tr.WSURL(), nil)
			if err != nil {
				return // refused by a limit: also fine
			}
			defer ws.CloseNow()
			ws.SetReadLimit(1 << 20)
			go func() { // drain replies so the tracker's queue does not drop us early
				for {
					if _, _, err := ws.Read(ctx); err != nil {
						return
					}
				}
			}()
			for i := range 100 {
				var msg []byte
				switch i % 4 {
				case 0:
					msg = []byte(`{"action":"announce","info_hash":"short"`)
				case 1:
					msg = []byte(`{"action":"announce","info_hash":"` + strings.Repeat("x", 19) + `","peer_id":1}`)
				case 2:
					msg = []byte(`[` + strings.Repeat(`[`, 100) + `]`)
				case 3:
					if c%10 == 0 {
						msg = bytes.Repeat([]byte("A"), 70<<10) // over the 64 KiB limit: closed with 1009
					} else {
						msg = []byte(`{"action":"scrape","info_hash":["\u0100\u0100"]}`)
					}
				}
				if ws.Write(ctx, websocket.MessageText, msg) != nil {
					return
				}
			}
		})
	}
	wg.Go(func() {
		ua, _ := net.ResolveUDPAddr("udp", tr.UDPAddr)
		for range 8 {
			c, err := net.DialUDP("udp", nil, ua)
			if err != nil {
				return
			}
			for range 1500 {
				pkt := make([]byte, rng.IntN(1500))
				for i := range pkt {
					pkt[i] = byte(rng.Uint32())
				}
				_, _ = c.Write(pkt)
			}
			c.Close()
		}
	})
	wg.Go(func() {
		web := fromIP("127.0.0.1")
		for i := range 1000 {
			q := []string{"info_hash=%zz", "info_hash=short&peer_id=x&port=1", "port=99999", strings.Repeat("a=b&", 2000)}[i%4]
			resp, err := web.Get(tr.HTTPURL() + "/announce?" + q)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	})
	wg.Wait()
}

// Thousands of malformed and oversized messages and UDP datagrams, mixed
// with good traffic: the good clients keep being served, and the tracker's
// memory does not grow with the abuse.
func TestAbuseKeepsGoodClientsServedInBoundedMemory(t *testing.T) {
	// The good WebSocket client probes every 50 ms, far more often than a
	// real one (an announce every 2 minutes): with the default budget of
	// 100 requests per connection per interval a slow run would see the
	// probe itself refused. Every other limit keeps its default.
	tr := trackerproc.Start(t, trackerBin, "SWARMBRIDGE_LOG_LEVEL=info", "SWARMBRIDGE_WS_ANNOUNCES_PER_CONN=100000")
	good := newGoodClients(t, tr)
	good.check()
	rng := rand.New(rand.NewPCG(1, 2))

	baseline := rssKiB(t, tr.PID())
	var after []int
	for wave := range 3 {
		done := make(chan struct{})
		go func() { defer close(done); abuse(t, tr, rng) }()
		// Good traffic goes on during the wave.
	loop:
		for {
			select {
			case <-done:
				break loop
			default:
				good.check()
				time.Sleep(50 * time.Millisecond)
			}
		}
		good.check()
		after = append(after, rssKiB(t, tr.PID()))
		t.Logf("wave %d: RSS %d KiB (baseline %d KiB)", wave+1, after[wave], baseline)
	}
	// The abuse really reached the tracker and was handled as abuse.
	resp, err := http.Get(tr.HTTPURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	sum := func(prefix string) float64 {
		total := 0.0
		for line := range strings.SplitSeq(string(metrics), "\n") {
			if strings.HasPrefix(line, prefix) {
				f := strings.Fields(line)
				v, _ := strconv.ParseFloat(f[len(f)-1], 64)
				total += v
			}
		}
		return total
	}
	for _, c := range []struct {
		metric string
		min    float64
	}{
		{`swarmbridge_ws_connections_closed_total{reason="abuse"}`, 10},
		{`swarmbridge_ws_connections_closed_total{reason="message_too_big"}`, 6},
		{`swarmbridge_failures_total{reason=`, 1000},
		{`swarmbridge_udp_dropped_total{`, 5000}, // of 36,000 sent; the kernel may drop some under the flood
	} {
		if got := sum(c.metric); got < c.min {
			t.Errorf("%s = %v, want at least %v: the abuse did not reach the tracker as expected", c.metric, got, c.min)
		}
	}
	// Bounded: the abuse costs a fixed amount (buffers, pools, the limiter's
	// table), not an amount that grows with every wave.
	if grown := after[2] - after[0]; grown > 32<<10 {
		t.Errorf("RSS grew by %d KiB between the first and the third wave (%v): memory grows with the abuse", grown, after)
	}
	if after[2] > baseline+128<<10 {
		t.Errorf("RSS %d KiB after the abuse, baseline %d KiB", after[2], baseline)
	}
}
