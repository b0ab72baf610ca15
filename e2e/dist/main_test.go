// Package dist_test holds black-box tests of the distributed mode: three
// built cmd/swarmbridge processes share their swarms through one Redis
// (README, "Running several nodes"), and real clients on loopback
// (trackerclient over HTTP, UDP and WebSocket, wspeer, and pion WebRTC
// peers) talk to different nodes. Each test runs a redis-server of its
// own, so it may stop, restart or stall it, and uses a key prefix of its
// own as every deployment sharing a Redis would.
package dist_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/redistest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
	"github.com/swarmbridge/swarmbridge/internal/testkit/wspeer"
	"github.com/swarmbridge/swarmbridge/trackerclient"
)

// trackerBin is the swarmbridge binary TestMain builds once.
var trackerBin string

func TestMain(m *testing.M) {
	os.Exit(trackerproc.Main(&trackerBin, func() int { return trackerproc.RunChecked(m) }))
}

// nodeCount is how many trackers every test runs on its Redis.
const nodeCount = 3

// startNodes runs nodeCount trackers on the Redis at url under a fresh key
// prefix, with env added to each, and waits until every node is ready and
// counts all of them.
func startNodes(t *testing.T, url string, env ...string) []*trackerproc.Tracker {
	t.Helper()
	base := []string{
		"SWARMBRIDGE_STORE=redis",
		"SWARMBRIDGE_REDIS_URL=" + url,
		"SWARMBRIDGE_REDIS_KEY_PREFIX=" + redistest.Prefix(t),
	}
	nodes := make([]*trackerproc.Tracker, nodeCount)
	for i := range nodes {
		nodes[i] = trackerproc.Start(t, trackerBin, append(base, env...)...)
	}
	waitCluster(t, nodes...)
	return nodes
}

// waitCluster waits until every node is ready and sees len(nodes) live
// nodes.
func waitCluster(t *testing.T, nodes ...*trackerproc.Tracker) {
	t.Helper()
	for _, n := range nodes {
		waitStatus(t, n, "/readyz", 200, "ready")
		waitFor(t, 15*time.Second, "every node to count "+strconv.Itoa(len(nodes)), func() bool {
			return getStats(t, n).Nodes == len(nodes)
		})
	}
}

// httpClient keeps no idle connections, so no goroutine outlives a test.
var httpClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// get fetches path from n's HTTP listener.
func get(t *testing.T, n *trackerproc.Tracker, path string) (int, string) {
	t.Helper()
	resp, err := httpClient.Get(n.HTTPURL() + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

// waitStatus polls path on n until it answers code with a body containing
// part.
func waitStatus(t *testing.T, n *trackerproc.Tracker, path string, code int, part string) {
	t.Helper()
	var gotCode int
	var body string
	ok := poll(20*time.Second, func() bool {
		gotCode, body = get(t, n, path)
		return gotCode == code && strings.Contains(body, part)
	})
	if !ok {
		t.Fatalf("%s on %s: %d %q, want %d with %q", path, n.HTTPAddr, gotCode, body, code, part)
	}
}

// stats is the part of /stats these tests read.
type stats struct {
	Nodes       int            `json:"nodes"`
	Connections map[string]int `json:"connections"`
}

func getStats(t *testing.T, n *trackerproc.Tracker) stats {
	t.Helper()
	code, body := get(t, n, "/stats")
	if code != 200 {
		t.Fatalf("/stats: %d %s", code, body)
	}
	var s stats
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatalf("/stats: %v\n%s", err, body)
	}
	return s
}

// metric reads one sample of n's /metrics, e.g.
// `swarmbridge_ws_dropped_total{reason="no_target"}`; 0 when absent.
func metric(t *testing.T, n *trackerproc.Tracker, sample string) float64 {
	t.Helper()
	code, body := get(t, n, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("/metrics: %q: %v", sc.Text(), err)
			}
			return f
		}
	}
	return 0
}

// poll calls cond every 50 ms until it holds or within has passed.
func poll(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// waitFor is poll that fails t, naming what it waited for.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	if !poll(within, cond) {
		t.Fatalf("waited %v for %s", within, what)
	}
}

// newClient returns a trackerclient for announceURL, closed when the test
// ends. UDP requests are sent twice, a second apart, before they fail.
func newClient(t *testing.T, announceURL string) trackerclient.Client {
	t.Helper()
	c, err := trackerclient.New(announceURL, trackerclient.Options{Retransmit: trackerclient.Schedule{First: time.Second, Attempts: 2}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// httpAnnounce and udpAnnounce are a node's announce URLs.
func httpAnnounce(n *trackerproc.Tracker) string { return n.HTTPURL() + "/announce" }
func udpAnnounce(n *trackerproc.Tracker) string  { return "udp://" + n.UDPAddr }

// wantRelayAcrossNodes announces a's peer (already in the swarm with b's)
// with one offer and checks, as of when, that the swarm counts one seeder
// and one leecher, that b's peer gets the offer and that b's answer comes
// back to a.
func wantRelayAcrossNodes(t *testing.T, when string, ih, aID, bID wspeer.ID, onA, onB *wspeer.Peer) {
	t.Helper()
	offers := wspeer.NewOffers(1)
	onA.Send(wspeer.Announce(ih, aID, "", 10, offers...))
	if m := onA.Next(10 * time.Second); m.Num("complete") != 1 || m.Num("incomplete") != 1 {
		t.Fatalf("%s, A's peer's announce: %v", when, m)
	}
	if o := onB.Next(10 * time.Second); o.Str("offer_id") != offers[0].ID.Bin() {
		t.Fatalf("%s, B's peer got %v, want A's offer", when, o)
	}
	onB.Send(wspeer.Answer(ih, bID, aID, offers[0].ID, "v=0 "+when))
	if ans := onA.Next(10 * time.Second); ans.Str("offer_id") != offers[0].ID.Bin() {
		t.Fatalf("%s, the answer: %v", when, ans)
	}
}
