package main

import (
	"bufio"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/redistest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/servertest"
)

// trackerEnv switches off the tracker's abuse limits, as the benchmarks
// do: one generator is one address sending far more than one client.
// Variables the tracker does not know are ignored.
var trackerEnv = []string{
	"SWARMBRIDGE_WS_MAX_CONNS=0",
	"SWARMBRIDGE_WS_MAX_CONNS_PER_IP=0",
	"SWARMBRIDGE_WS_ANNOUNCES_PER_CONN=0",
	"SWARMBRIDGE_ANNOUNCES_PER_IP=0",
	"SWARMBRIDGE_UDP_REQUESTS_PER_IP=0",
	// In closed loop each connection is sent about 8,000 offers a second
	// (no real client sees a thousandth of that) and answers half of
	// them; the default 256 remembered offers would cover only the
	// 30 ms of lag a GC pause shared with the tracker can cause.
	"SWARMBRIDGE_WS_PENDING_OFFERS=8192",
}

// startTracker runs the real tracker in-process on 127.0.0.1:0 (TCP and
// UDP) and returns its WebSocket, HTTP announce and UDP targets.
func startTracker(t *testing.T) (wsURL, httpURL, udpAddr string) {
	t.Helper()
	tr := servertest.Start(t, trackerEnv, nil)
	host := strings.TrimPrefix(tr.HTTP.URL, "http://")
	return "ws://" + host, tr.HTTP.URL + "/announce", tr.UDP.String()
}

func smokeConfig(transport, target string) *config {
	return &config{
		transport: transport, target: target,
		duration: 600 * time.Millisecond, warmup: 100 * time.Millisecond,
		timeout: 3 * time.Second, dialTimeout: 3 * time.Second,
		conns: 12, sourceIPs: []string{"127.0.0.1"}, infohashes: 2, seed: 1,
		offers: 5, sdpSize: 1500, answerRatio: 0.5, scrapeRatio: 0.2, scrapeHashes: 2,
		inflight: 2, numwant: 50, dialConc: 8, pids: []int{os.Getpid()},
	}
}

func runSmoke(t *testing.T, cfg *config) *Result {
	t.Helper()
	res, err := run(cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		var b strings.Builder
		printHuman(&b, res)
		t.Log("\n" + b.String())
	}
	if res.ErrorsTotal != 0 {
		t.Errorf("errors: %v %v %v", res.Errors, res.FailureReasons, res.FirstErrors)
	}
	if res.ServerCPUSecs < 0 || res.GenCPUSecs <= 0 {
		t.Errorf("CPU not measured: generator %v, server %v", res.GenCPUSecs, res.ServerCPUSecs)
	}
	return res
}

func TestSmokeAgainstInProcessTracker(t *testing.T) {
	wsURL, httpURL, udpAddr := startTracker(t)

	t.Run("ws closed loop", func(t *testing.T) {
		// Closed loop bounds announces in flight, not the offers they
		// fan out to every other peer: with more than one announce in
		// flight per connection the generator, sharing two cores with the
		// tracker, reads offers slower than they come, and the tracker
		// rightly drops it as a slow consumer.
		cfg := smokeConfig("ws", wsURL)
		cfg.inflight = 1
		res := runSmoke(t, cfg)
		if res.Counts["announce_responses"] == 0 || res.Counts["scrape_responses"] == 0 {
			t.Errorf("responses: %v", res.Counts)
		}
		// 12 peers in 2 swarms: every announce's 5 offers find targets,
		// and half of them are answered.
		if res.Counts["offers_received"] == 0 || res.Counts["answers_received"] == 0 {
			t.Errorf("nothing relayed: %v", res.Counts)
		}
		if res.LatencySamples == 0 || res.LatencyP99ms <= 0 {
			t.Errorf("no latency: %+v", res)
		}
		// One target: every offer's latency is measured, none crosses.
		if res.OfferLatSamples == 0 || res.OfferLatP99ms <= 0 || res.OfferLatCrossSamples != 0 || res.Targets != nil ||
			res.Counts["offers_cross_target"] != 0 || res.Counts["answers_cross_target"] != 0 || res.Counts["relayed_unattributed"] != 0 {
			t.Errorf("one target: offer latency %v ms (%d samples, %d cross), counts %v", res.OfferLatP99ms, res.OfferLatSamples, res.OfferLatCrossSamples, res.Counts)
		}
	})
	t.Run("ws, the same tracker named twice", func(t *testing.T) {
		// The split is the generator's own bookkeeping, so one tracker
		// named twice shows it: 12 peers in 2 torrents, 3 of each torrent
		// on each "target"; every announce offers to the 5 others of its
		// torrent, 3 of them on the other target.
		cfg := smokeConfig("ws", wsURL+","+wsURL)
		cfg.inflight, cfg.scrapeRatio = 1, 0
		res := runSmoke(t, cfg)
		checkCrossTarget(t, res, 2)
		if s := res.OffersCrossShare; s < 0.55 || s > 0.65 {
			t.Errorf("%.3f of offers crossed targets, want 3 of 5", s)
		}
	})
	t.Run("ws fixed rate", func(t *testing.T) {
		cfg := smokeConfig("ws", wsURL)
		cfg.rate = 200
		cfg.scrapeRatio = 0
		res := runSmoke(t, cfg)
		if res.Responses == 0 || res.Counts["offers_received"] == 0 {
			t.Errorf("counts: %v", res.Counts)
		}
		// Open loop at a rate the tracker easily serves: about 200/s.
		if got := float64(res.Counts["announces_sent"]) / res.Seconds; got > 300 {
			t.Errorf("fixed rate 200/s sent %.0f/s", got)
		}
	})
	t.Run("ws idle", func(t *testing.T) {
		cfg := smokeConfig("ws", wsURL)
		cfg.idle = true
		cfg.duration = 300 * time.Millisecond
		cfg.sourceIPs = []string{"127.0.0.1", "127.0.0.2"}
		res := runSmoke(t, cfg)
		if res.ConnsOpen != cfg.conns || res.Counts["announce_responses"] != int64(cfg.conns) || res.Counts["announces_sent"] != int64(cfg.conns) {
			t.Errorf("idle: open %d, counts %v", res.ConnsOpen, res.Counts)
		}
	})
	t.Run("http", func(t *testing.T) {
		res := runSmoke(t, smokeConfig("http", httpURL))
		if res.Counts["announce_responses"] == 0 || res.Counts["scrape_responses"] == 0 {
			t.Errorf("responses: %v", res.Counts)
		}
		if res.Counts["reconnects"] != 0 {
			t.Errorf("keep-alive connections were reopened %d times", res.Counts["reconnects"])
		}
	})
	t.Run("http fixed rate", func(t *testing.T) {
		cfg := smokeConfig("http", httpURL)
		cfg.rate = 300
		if res := runSmoke(t, cfg); res.Responses == 0 {
			t.Errorf("responses: %v", res.Counts)
		}
	})
	t.Run("udp", func(t *testing.T) {
		cfg := smokeConfig("udp", udpAddr)
		cfg.inflight = 4
		res := runSmoke(t, cfg)
		if res.Counts["announce_responses"] == 0 || res.Counts["scrape_responses"] == 0 {
			t.Errorf("responses: %v", res.Counts)
		}
	})
	t.Run("udp fixed rate", func(t *testing.T) {
		cfg := smokeConfig("udp", "udp://"+udpAddr+"/announce")
		cfg.rate = 300
		if res := runSmoke(t, cfg); res.Responses == 0 {
			t.Errorf("responses: %v", res.Counts)
		}
	})
}

// checkCrossTarget checks a WebSocket run over several targets: relays
// both within and across targets, each kind with its offer latency, and
// every relay attributed to one of the run's peers.
func checkCrossTarget(t *testing.T, res *Result, targets int) {
	t.Helper()
	c := res.Counts
	if len(res.Targets) != targets || c["relayed_unattributed"] != 0 ||
		c["offers_cross_target"] == 0 || c["offers_cross_target"] >= c["offers_received"] ||
		c["answers_cross_target"] == 0 || c["answers_cross_target"] >= c["answers_received"] {
		t.Errorf("targets %q, counts %v", res.Targets, c)
	}
	if res.RelayedCrossShare <= 0 || res.RelayedCrossShare >= 1 {
		t.Errorf("cross-target share %v", res.RelayedCrossShare)
	}
	if res.OfferLatSameSamples == 0 || res.OfferLatSameP99ms <= 0 || res.OfferLatCrossSamples == 0 || res.OfferLatCrossP99ms <= 0 ||
		res.OfferLatSameSamples+res.OfferLatCrossSamples != res.OfferLatSamples {
		t.Errorf("offer latency: same %v ms (%d), cross %v ms (%d), all %d", res.OfferLatSameP99ms, res.OfferLatSameSamples,
			res.OfferLatCrossP99ms, res.OfferLatCrossSamples, res.OfferLatSamples)
	}
}

// Two tracker nodes on one Redis, the generator's connections spread over
// both: offers and answers cross between the nodes through Redis, and the
// generator tells them apart from those that stay on one node.
func TestCrossNodeOnRedis(t *testing.T) {
	srv := redistest.StartServer(t)
	env := append([]string{
		"SWARMBRIDGE_STORE=redis",
		"SWARMBRIDGE_REDIS_URL=" + srv.URL(),
		"SWARMBRIDGE_REDIS_KEY_PREFIX=" + redistest.Prefix(t),
	}, trackerEnv...)
	a, b := servertest.Start(t, env, nil), servertest.Start(t, env, nil)
	for _, tr := range []*servertest.Tracker{a, b} {
		waitForNodes(t, tr.HTTP.URL+"/stats", 2)
	}
	cfg := smokeConfig("ws", a.WSURL()+","+b.WSURL())
	cfg.inflight, cfg.scrapeRatio = 1, 0
	cfg.duration = time.Second
	res := runSmoke(t, cfg)
	checkCrossTarget(t, res, 2)
}

// waitForNodes polls a node's /stats until it counts n live nodes.
func waitForNodes(t *testing.T, statsURL string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var s struct {
			Nodes int `json:"nodes"`
		}
		resp, err := http.Get(statsURL)
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&s)
			resp.Body.Close()
		}
		if err == nil && s.Nodes == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d nodes, want %d (%v)", statsURL, s.Nodes, n, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Over wss:// the generator trusts a CA file or, with -insecure, anything;
// it counts and times every handshake apart from the messages, and with
// -tls-resume every connection after the first resumes a TLS session.
func TestSmokeOverWSS(t *testing.T) {
	tr := servertest.Start(t, trackerEnv, nil)
	ts := httptest.NewUnstartedServer(tr.Server)
	ts.Config = tr.Server.HTTPServer()
	ts.StartTLS()
	t.Cleanup(ts.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	target := "wss://" + strings.TrimPrefix(ts.URL, "https://")

	t.Run("fixed rate, CA file, session resumption", func(t *testing.T) {
		cfg := smokeConfig("ws", target)
		cfg.rate, cfg.scrapeRatio = 200, 0
		cfg.caFile, cfg.tlsResume = ca, true
		res := runSmoke(t, cfg)
		if res.Responses == 0 || res.Counts["offers_received"] == 0 {
			t.Errorf("counts: %v", res.Counts)
		}
		// The first connections race for the session cache; the rest resume.
		if res.Handshakes != int64(cfg.conns) || res.HandshakesResumed == 0 || res.HandshakeP50ms <= 0 || res.ConnectSrvCPUPerHsUs <= 0 {
			t.Errorf("handshakes %d (resumed %d), p50 %v ms, server CPU %v µs each", res.Handshakes, res.HandshakesResumed, res.HandshakeP50ms, res.ConnectSrvCPUPerHsUs)
		}
	})
	t.Run("idle, insecure", func(t *testing.T) {
		cfg := smokeConfig("ws", target)
		cfg.idle, cfg.insecure = true, true
		cfg.duration = 300 * time.Millisecond
		res := runSmoke(t, cfg)
		if res.ConnsOpen != cfg.conns || res.Counts["announce_responses"] != int64(cfg.conns) || res.HandshakesResumed != 0 {
			t.Errorf("idle: open %d, counts %v, resumed %d", res.ConnsOpen, res.Counts, res.HandshakesResumed)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		cfg := smokeConfig("ws", target)
		cfg.conns = 1
		if _, err := run(cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("a certificate nobody trusts: %v", err)
		}
	})
}

// An HTTP tracker that, like opentracker, answers one request per
// connection and closes it without saying so: the generator must reopen
// connections and count no error.
func TestHTTPServerThatClosesEveryConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				body := "d8:completei1e10:incompletei0e8:intervali1800e5:peers0:e"
				if strings.HasPrefix(req.URL.Path, "/scrape") {
					body = "d5:filesdee"
				}
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "+itoa(len(body))+"\r\n\r\n"+body)
			}()
		}
	}()
	cfg := smokeConfig("http", "http://"+ln.Addr().String()+"/announce")
	cfg.pids = nil
	res := runSmoke(t, cfg)
	if res.Responses == 0 || res.Counts["reconnects"] < res.Responses/2 {
		t.Errorf("responses %d, reconnects %d", res.Responses, res.Counts["reconnects"])
	}
}

// Failures are errors, never responses.
func TestFailuresAreNotResponses(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "d14:failure reason21:info_hash not allowede")
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	cfg := smokeConfig("http", "http://"+ln.Addr().String()+"/announce")
	cfg.conns = 2
	res, err := run(cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if res.Responses != 0 || res.Errors["failure"] == 0 || res.FailureReasons["info_hash not allowed"] == 0 {
		t.Errorf("responses %d errors %v reasons %v", res.Responses, res.Errors, res.FailureReasons)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}
