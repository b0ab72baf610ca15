package server_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/logbuf"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/server"
	"github.com/swarmbridge/swarmbridge/internal/swarm/redis"
	"github.com/swarmbridge/swarmbridge/internal/testkit/dbtest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/redistest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/wspeer"
	"github.com/swarmbridge/swarmbridge/trackerclient"
)

// These tests run two trackers (nodes) in one process on one Redis, as
// main runs each: OpenBackend, New, Listen and Run on loopback sockets.

// redisNode is one node of a test cluster.
type redisNode struct {
	srv  *server.Server
	ls   server.Listeners
	logs *logbuf.Buffer
	stop func()
}

func (n *redisNode) base() string { return "http://" + n.ls.HTTP.Addr().String() }
func (n *redisNode) ws() string   { return "ws://" + n.ls.HTTP.Addr().String() }
func (n *redisNode) udp() string  { return "udp://" + n.ls.UDP.LocalAddr().String() }

// noLeaks makes the test fail if a goroutine it started outlives it. Call
// it before starting any node: it checks after every node has stopped.
func noLeaks(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		goleak.VerifyNone(t, leaks,
			// Connections a cluster client replaced are closed five
			// seconds later by a goroutine Close cannot cut short.
			goleak.IgnoreAnyFunction("github.com/redis/rueidis.(*clusterClient)._refresh.func2"))
	})
}

// startRedisNode runs a tracker in Redis mode on url under prefix until
// the test ends.
func startRedisNode(t *testing.T, url, prefix string, env ...string) *redisNode {
	t.Helper()
	cfg, err := config.Load(append([]string{
		"SWARMBRIDGE_HTTP_ADDR=127.0.0.1:0",
		"SWARMBRIDGE_UDP_ADDR=127.0.0.1:0",
		"SWARMBRIDGE_STORE=redis",
		"SWARMBRIDGE_REDIS_URL=" + url,
		"SWARMBRIDGE_REDIS_KEY_PREFIX=" + prefix,
	}, env...))
	if err != nil {
		t.Fatal(err)
	}
	logs := &logbuf.Buffer{}
	log := zerolog.New(logs)
	b, err := server.OpenBackend(t.Context(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Config: cfg, Logger: log, Store: b.Store, Cluster: b.Cluster})
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	ls, err := server.Listen(context.Background(), cfg)
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ls, make(chan os.Signal)) }()
	var once sync.Once
	n := &redisNode{srv: srv, ls: ls, logs: logs}
	n.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
			b.Close()
		})
	}
	t.Cleanup(func() {
		n.stop()
		if t.Failed() {
			t.Logf("node logs:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "swarmbridge listening") {
		if time.Now().After(deadline) {
			t.Fatalf("the node did not start:\n%s", logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return n
}

// stats is the part of /stats these tests read.
type stats struct {
	Swarms      int            `json:"swarms"`
	Peers       int            `json:"peers"`
	PeersByKind map[string]int `json:"peers_by_kind"`
	Connections map[string]int `json:"connections"`
	Nodes       int            `json:"nodes"`
}

func getStats(t *testing.T, n *redisNode) stats {
	t.Helper()
	code, body := getBody(t, n.base()+"/stats")
	if code != 200 {
		t.Fatalf("/stats: %d %s", code, body)
	}
	var s stats
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// twoRedisNodes starts two nodes on one Redis and waits until each counts
// the other.
func twoRedisNodes(t *testing.T, url string, env ...string) (a, b *redisNode) {
	t.Helper()
	noLeaks(t)
	prefix := redistest.Prefix(t)
	deleteKeys(t, url, prefix)
	a = startRedisNode(t, url, prefix, env...)
	b = startRedisNode(t, url, prefix, env...)
	for _, n := range []*redisNode{a, b} {
		waitStatus(t, n.base()+"/readyz", 200, "ready")
		deadline := time.Now().Add(5 * time.Second)
		for getStats(t, n).Nodes != 2 {
			if time.Now().After(deadline) {
				t.Fatal("the nodes do not see each other")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return a, b
}

// The start-up line names the store and the node.
func TestRedisNodeLogsStoreAndNode(t *testing.T) {
	url := redistest.Shared(t)
	a, b := twoRedisNodes(t, url)
	for _, n := range []*redisNode{a, b} {
		var line struct {
			Store string `json:"store"`
			Node  int    `json:"node"`
		}
		for _, l := range strings.Split(n.logs.String(), "\n") {
			if strings.Contains(l, "swarmbridge listening") {
				_ = json.Unmarshal([]byte(l), &line)
			}
		}
		if line.Store != "redis" || line.Node < 1 || line.Node > 65535 {
			t.Fatalf("start-up line says store %q node %d", line.Store, line.Node)
		}
	}
}

// A browser peer on node a gets the offer of a peer on node b, its answer
// reaches b's peer, and an answer to an offer never relayed is refused.
func TestRedisNodesRelayOffersAndAnswers(t *testing.T) {
	url := redistest.Shared(t)
	a, b := twoRedisNodes(t, url)
	ih := wspeer.NewID()
	onA := wspeer.Dial(t, a.ws())
	aID := wspeer.NewID()
	onA.Send(wspeer.Announce(ih, aID, "started", 0))
	onA.Next(5 * time.Second)

	onB := wspeer.Dial(t, b.ws())
	bID := wspeer.NewID()
	offers := wspeer.NewOffers(1)
	onB.Send(wspeer.Announce(ih, bID, "started", 100, offers...))
	if m := onB.Next(5 * time.Second); m.Num("complete") != 1 || m.Num("incomplete") != 1 {
		t.Fatalf("b's announce: %v", m)
	}
	o := onA.Next(5 * time.Second)
	if o.Str("offer_id") != offers[0].ID.Bin() || o.Str("peer_id") != bID.Bin() || o["offer"].(map[string]any)["sdp"] != offers[0].SDP {
		t.Fatalf("the offer on node a: %v", o)
	}
	onA.Send(wspeer.Answer(ih, aID, bID, offers[0].ID, "v=0 answer"))
	ans := onB.Next(5 * time.Second)
	if ans.Str("offer_id") != offers[0].ID.Bin() || ans.Str("peer_id") != aID.Bin() || ans["answer"].(map[string]any)["sdp"] != "v=0 answer" {
		t.Fatalf("the answer on node b: %v", ans)
	}
	onA.Send(wspeer.Answer(ih, aID, bID, wspeer.NewID(), "v=0 forged"))
	if f := onA.Next(5 * time.Second); !strings.Contains(f.Str("failure reason"), "could not find the offer") {
		t.Fatalf("an answer to no offer: %v", f)
	}
	if m, quiet := onB.Quiet(300 * time.Millisecond); !quiet {
		t.Fatalf("b's peer got %v", m)
	}
	// Both nodes count both connections.
	for _, n := range []*redisNode{a, b} {
		deadline := time.Now().Add(5 * time.Second)
		for getStats(t, n).Connections["websocket"] != 2 {
			if time.Now().After(deadline) {
				t.Fatalf("/stats: %+v", getStats(t, n))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// An HTTP peer announcing to node a and a UDP peer announcing to node b
// get each other, and scrapes and /stats on either node count both.
func TestRedisNodesShareNativePeers(t *testing.T) {
	url := redistest.Shared(t)
	a, b := twoRedisNodes(t, url)
	ih := bittorrent.InfoHash(wspeer.NewID())
	httpc, err := trackerclient.New(a.base()+"/announce", trackerclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer httpc.Close()
	udpc, err := trackerclient.New(b.udp(), trackerclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer udpc.Close()
	ctx := t.Context()
	hr, err := httpc.Announce(ctx, trackerclient.AnnounceRequest{InfoHash: ih, PeerID: bittorrent.PeerID(wspeer.NewID()), Port: 6001, Left: 0, Event: bittorrent.EventStarted})
	if err != nil || len(hr.Peers) != 0 {
		t.Fatalf("HTTP announce: %v %+v", err, hr)
	}
	ur, err := udpc.Announce(ctx, trackerclient.AnnounceRequest{InfoHash: ih, PeerID: bittorrent.PeerID(wspeer.NewID()), Port: 6002, Left: 10, Event: bittorrent.EventStarted})
	if err != nil {
		t.Fatal(err)
	}
	if len(ur.Peers) != 1 || ur.Peers[0].Addr != netip.MustParseAddrPort("127.0.0.1:6001") || ur.Counts.Complete != 1 || ur.Counts.Incomplete != 1 {
		t.Fatalf("the UDP peer on node b got %+v", ur)
	}
	hr, err = httpc.Announce(ctx, trackerclient.AnnounceRequest{InfoHash: ih, PeerID: bittorrent.PeerID(wspeer.NewID()), Port: 6001, Left: 0})
	if err != nil || len(hr.Peers) != 1 || hr.Peers[0].Addr != netip.MustParseAddrPort("127.0.0.1:6002") {
		t.Fatalf("the HTTP peer on node a got %v %+v", err, hr)
	}
	for _, c := range []trackerclient.Client{httpc, udpc} {
		sr, err := c.Scrape(ctx, []bittorrent.InfoHash{ih})
		if err != nil || sr.Files[ih] != (bittorrent.Counts{Complete: 1, Incomplete: 1}) {
			t.Fatalf("scrape: %v %+v", err, sr)
		}
	}
	for _, n := range []*redisNode{a, b} {
		if s := getStats(t, n); s.PeersByKind["native"] < 2 || s.Nodes != 2 {
			t.Fatalf("/stats on one node: %+v", s)
		}
	}

	// A UDP connection id from node a is good on node b: the nodes share
	// the secret that keys them.
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	exchange := func(to net.Addr, pkt []byte) []byte {
		if _, err := c.WriteTo(pkt, to); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 2048)
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no UDP reply: %v", err)
		}
		return buf[:n]
	}
	connect := binary.BigEndian.AppendUint64(nil, 0x41727101980)
	connect = binary.BigEndian.AppendUint32(connect, 0)
	connect = binary.BigEndian.AppendUint32(connect, 7)
	reply := exchange(a.ls.UDP.LocalAddr(), connect)
	if len(reply) != 16 {
		t.Fatalf("connect reply %x", reply)
	}
	scrape := binary.BigEndian.AppendUint64(nil, binary.BigEndian.Uint64(reply[8:]))
	scrape = binary.BigEndian.AppendUint32(scrape, 2)
	scrape = binary.BigEndian.AppendUint32(scrape, 8)
	scrape = append(scrape, ih[:]...)
	reply = exchange(b.ls.UDP.LocalAddr(), scrape)
	if len(reply) != 8+12 || binary.BigEndian.Uint32(reply) != 2 || binary.BigEndian.Uint32(reply[8:]) != 1 || binary.BigEndian.Uint32(reply[16:]) != 1 {
		t.Fatalf("a scrape on node b with node a's connection id got %x", reply)
	}
}

// A Redis that hangs (SIGSTOP) makes WebSocket announces fail within
// REDIS_TIMEOUT with "tracker temporarily unavailable" and HTTP announces
// with a failure and "retry in"; pings and answers between connections do
// not wait for it; /readyz says why, the errors are counted; when Redis
// resumes, so does the tracker. A Redis that is killed and restarted
// (empty) is found again without restarting the tracker: announces work,
// the nodes find each other again and relay between them.
func TestRedisNodesRideOutRedisOutages(t *testing.T) {
	srv := redistest.StartServer(t)
	a, b := twoRedisNodes(t, srv.URL(), "SWARMBRIDGE_REDIS_TIMEOUT=300ms")
	ih := wspeer.NewID()

	onB := wspeer.Dial(t, b.ws())
	bID := wspeer.NewID()
	onB.Send(wspeer.Announce(ih, bID, "started", 0))
	onB.Next(5 * time.Second)
	onA := wspeer.Dial(t, a.ws())
	aID := wspeer.NewID()
	onA.Send(wspeer.Announce(ih, aID, "started", 5))
	onA.Next(5 * time.Second)

	// Two peers of another swarm on node a: y's offer reaches x before
	// the outage, x answers during it.
	ih2 := wspeer.NewID()
	x, y := wspeer.Dial(t, a.ws()), wspeer.Dial(t, a.ws())
	xID, yID := wspeer.NewID(), wspeer.NewID()
	x.Send(wspeer.Announce(ih2, xID, "started", 0))
	x.Next(5 * time.Second)
	yOffers := wspeer.NewOffers(1)
	y.Send(wspeer.Announce(ih2, yID, "started", 5, yOffers...))
	y.Next(5 * time.Second)
	if o := x.Next(5 * time.Second); o.Str("offer_id") != yOffers[0].ID.Bin() {
		t.Fatalf("x got %v", o)
	}

	srv.Freeze()
	frozen := time.Now()
	onA.Send(wspeer.Announce(ih, aID, "", 5))
	f := onA.Next(5 * time.Second)
	if !strings.Contains(f.Str("failure reason"), "tracker temporarily unavailable") || time.Since(frozen) > 2*time.Second {
		t.Fatalf("an announce to a frozen Redis got %v after %v", f, time.Since(frozen))
	}
	httpc, err := trackerclient.New(a.base()+"/announce", trackerclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer httpc.Close()
	_, err = httpc.Announce(t.Context(), trackerclient.AnnounceRequest{InfoHash: bittorrent.InfoHash(ih), PeerID: bittorrent.PeerID(wspeer.NewID()), Port: 6001})
	var fe *trackerclient.FailureError
	if !errors.As(err, &fe) || fe.RetryIn <= 0 {
		t.Fatalf("an HTTP announce to a frozen Redis: %v", err)
	}
	// Pings, and answers whose offerer is on the same node, need no
	// Redis.
	for _, p := range []*wspeer.Peer{onA, x, y, onB} {
		if err := p.Ping(time.Second); err != nil {
			t.Fatalf("ping while Redis is frozen: %v", err)
		}
	}
	x.Send(wspeer.Answer(ih2, xID, yID, yOffers[0].ID, "v=0 local"))
	if ans := y.Next(time.Second); ans.Str("offer_id") != yOffers[0].ID.Bin() {
		t.Fatalf("a local answer while Redis is frozen: %v", ans)
	}
	waitStatus(t, a.base()+"/readyz", 503, "swarm store unreachable")
	waitStatus(t, b.base()+"/readyz", 503, "cluster")
	// /metrics still answers, and counts the failures.
	if code, body := getBody(t, a.base()+"/metrics"); code != 200 || !strings.Contains(body, `swarmbridge_store_errors_total{op="announce"}`) ||
		strings.Contains(body, `swarmbridge_store_errors_total{op="announce"} 0`) {
		t.Fatalf("store errors not counted: %d\n%s", code, grepLines(body, "store_errors"))
	}

	srv.Thaw()
	waitStatus(t, a.base()+"/readyz", 200, "ready")
	onA.Send(wspeer.Announce(ih, aID, "", 5))
	if m := onA.Next(5 * time.Second); m.Str("failure reason") != "" {
		t.Fatalf("after the thaw: %v", m)
	}

	// Killed and restarted: Redis comes back empty.
	srv.Stop()
	onA.Send(wspeer.Announce(ih, aID, "", 5))
	if m := onA.Next(5 * time.Second); !strings.Contains(m.Str("failure reason"), "unavailable") {
		t.Fatalf("with Redis down: %v", m)
	}
	// Until both heartbeats have failed: a node whose heartbeat never saw
	// the outage would report the node count of before it, and its first
	// heartbeat on the empty Redis may see only itself.
	for _, n := range []*redisNode{a, b} {
		waitStatus(t, n.base()+"/readyz", 503, "cluster")
	}
	srv.Start()
	for _, n := range []*redisNode{a, b} {
		waitStatus(t, n.base()+"/readyz", 200, "ready")
	}
	// A restarted Redis is empty: each node registers again at its next
	// heartbeat, and sees the other one a heartbeat later.
	deadline := time.Now().Add(5 * time.Second)
	for getStats(t, a).Nodes != 2 || getStats(t, b).Nodes != 2 {
		if time.Now().After(deadline) {
			t.Fatal("the nodes did not find each other again")
		}
		time.Sleep(50 * time.Millisecond)
	}
	onB.Send(wspeer.Announce(ih, bID, "", 0))
	if m := onB.Next(5 * time.Second); m.Str("failure reason") != "" {
		t.Fatalf("after the restart, b's first announce: %v", m)
	}
	offers := wspeer.NewOffers(1)
	onA.Send(wspeer.Announce(ih, aID, "", 5, offers...))
	if m := onA.Next(5 * time.Second); m.Str("failure reason") != "" {
		t.Fatalf("after the restart: %v", m)
	}
	o := onB.Next(5 * time.Second)
	if o.Str("offer_id") != offers[0].ID.Bin() {
		t.Fatalf("after the restart, b's peer got %v", o)
	}
	onB.Send(wspeer.Answer(ih, bID, aID, offers[0].ID, "v=0 again"))
	if ans := onA.Next(5 * time.Second); ans.Str("offer_id") != offers[0].ID.Bin() {
		t.Fatalf("after the restart, the answer: %v", ans)
	}
}

// deleteKeys deletes prefix's keys from url when the test ends, after the
// nodes stopped, so that the shared Redis keeps nothing of the test.
func deleteKeys(t *testing.T, url, prefix string) {
	t.Helper()
	t.Cleanup(func() {
		st, err := redis.New(context.Background(), redis.Options{URL: url, KeyPrefix: prefix})
		if err != nil {
			return // a Redis the test killed for good
		}
		defer st.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c := st.Client()
		keys, err := c.Do(ctx, c.B().Keys().Pattern(prefix+"*").Build()).AsStrSlice()
		if err != nil {
			t.Errorf("clean up: %v", err)
			return
		}
		for _, k := range keys {
			_ = c.Do(ctx, c.B().Del().Key(k).Build()).Error()
		}
	})
}

func grepLines(s, part string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, part) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// With several nodes on one Redis and one PostgreSQL database, each
// download is added to the database once, by the node whose store counted
// it, so a node that starts after the swarm is gone still reports them all.
func TestDownloadsOfRedisNodesAddUp(t *testing.T) {
	url := redistest.Shared(t)
	pg := dbtest.Postgres(t)
	nodeEnv := func() []string {
		prefix := redistest.Prefix(t)
		deleteKeys(t, url, prefix)
		return []string{"SWARMBRIDGE_STORE=redis", "SWARMBRIDGE_REDIS_URL=" + url, "SWARMBRIDGE_REDIS_KEY_PREFIX=" + prefix}
	}
	shared := nodeEnv()
	a := startDBTracker(t, pg, nil, shared...)
	b := startDBTracker(t, pg, nil, shared...)
	ih := hash20(0x15)
	if n := completed(t, a.base, ih, peerID('a'), "6881"); n != 1 {
		t.Fatalf("first download, on node A: announce says %d", n)
	}
	if n := completed(t, b.base, ih, peerID('b'), "6882"); n != 2 {
		t.Fatalf("second download, on node B: announce says %d, want 2 (one swarm for both nodes)", n)
	}
	if n := completed(t, a.base, ih, peerID('b'), "6882"); n != 2 {
		t.Fatalf("the second peer completing again, now on node A: %d, want 2", n)
	}
	for _, n := range []*dbTracker{a, b} {
		if err := n.stop(); err != nil {
			t.Fatal(err)
		}
	}
	// A key prefix of its own: the swarm is not in Redis, only the
	// database remembers its downloads.
	c := startDBTracker(t, pg, nil, nodeEnv()...)
	if n := httpDownloaded(t, c.base, ih); n != 2 {
		t.Fatalf("a node started later: HTTP scrape says %d downloads, want 2", n)
	}
	st, err := c.api.Torrent(t.Context(), hexOf(ih))
	if err != nil || st.Downloaded != 2 {
		t.Fatalf("the API's torrent: %+v, %v", st, err)
	}
}

// Without a database, download counts live in Redis with their swarm, so
// they outlive every tracker node that counted them.
func TestRedisDownloadsOutliveTrackerRestarts(t *testing.T) {
	url := redistest.Shared(t)
	noLeaks(t)
	prefix := redistest.Prefix(t)
	deleteKeys(t, url, prefix)
	ih := hash20(0x16)
	a := startRedisNode(t, url, prefix)
	if n := completed(t, a.base(), ih, peerID('a'), "6881"); n != 1 {
		t.Fatalf("a download on node A: announce says %d", n)
	}
	a.stop()
	b := startRedisNode(t, url, prefix)
	if n := httpDownloaded(t, b.base(), ih); n != 1 {
		t.Fatalf("after node A stopped, node B's scrape says %d downloads, want 1", n)
	}
	if n := completed(t, b.base(), ih, peerID('b'), "6882"); n != 2 {
		t.Fatalf("a second download, on node B: announce says %d, want 2", n)
	}
}
