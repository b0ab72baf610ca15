package browser_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/redistest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
)

// Two tracker processes on one Redis are one tracker to their users: a
// tab on node B's page shares a file, a tab on node A's page opens the
// share link and downloads it. Each page talks to its own node only, so
// the WebRTC offer and answer between the tabs cross from node to node
// through Redis, and each page's live numbers count the other node's peer.
func TestDemoPageSharesAFileAcrossNodes(t *testing.T) {
	requireBundle(t)
	// The Redis on 127.0.0.1:6379 is outside this loopback-only network
	// namespace, so the nodes share one of the test's own. The key prefix
	// is not the default one, as for trackers sharing a Redis.
	rdb := redistest.StartServer(t)
	env := []string{
		"SWARMBRIDGE_STORE=redis",
		"SWARMBRIDGE_REDIS_URL=" + rdb.URL(),
		"SWARMBRIDGE_REDIS_KEY_PREFIX=" + redistest.Prefix(t),
	}
	nodeA := trackerproc.Start(t, trackerBin, env...)
	nodeB := trackerproc.Start(t, trackerBin, env...)
	b := newBrowser(t)
	const size = 2<<20 + 777
	payload, want := randomFile(t, t.TempDir(), "across-nodes.bin", size)

	seed := b.newTab("seeder on B")
	seed.recordWebSockets()
	seed.navigate(nodeB.HTTPURL() + "/")
	pageReady(seed)
	seed.setFiles("#file-input", payload)
	link, err := url.Parse(shareLink(seed))
	if err != nil {
		t.Fatal(err)
	}
	infoHash := eval[string](seed, `document.querySelector('.transfer .infohash code').textContent`)

	// Behind a load balancer the link would reach either node; this one
	// lands on A.
	leech := b.newTab("leecher on A")
	leech.recordWebSockets()
	leech.navigate(nodeA.HTTPURL() + "/#" + link.EscapedFragment())
	waitFor[bool](leech, `document.querySelector('.transfer[data-role="receive"] progress')?.value === 100`, 120*time.Second)
	if pct := leech.text(".transfer .pct"); pct != "100%" {
		t.Errorf("progress text %q, want 100%%", pct)
	}
	if got := saveFile(leech, "across-nodes.bin"); got.Size != size || got.SHA != want {
		t.Fatalf("saved file: %d bytes with sha256 %s, want %d bytes with %s", got.Size, got.SHA, size, want)
	}
	onlyWebSocketsTo(seed, nodeB.WSURL())
	onlyWebSocketsTo(leech, nodeA.WSURL())

	// Each page polls its own node, which has one of the two peers and one
	// of the two WebSockets; the page shows both.
	for _, tb := range []*tab{seed, leech} {
		waitFor[bool](tb, `document.querySelector('#stat-peers').textContent === '2' &&
			document.querySelector('#stat-browsers').textContent === '2' &&
			document.querySelector('#stat-seeders').textContent === '2' &&
			document.querySelector('#stat-sockets').textContent === '2' &&
			/2 seeders · 0 leechers · 2 completed/.test(document.querySelector('#stats-mine').textContent)`, 30*time.Second)
		if peers := eval[int](tb, `Number(document.querySelector('.transfer [data-metric="peers"]').textContent)`); peers < 1 {
			t.Errorf("%s: transfer shows %d peers", tb.name, peers)
		}
	}
	var stats struct {
		Peers int `json:"peers"`
		Nodes int `json:"nodes"`
	}
	getJSON(t, nodeA.HTTPURL()+"/stats", &stats)
	if stats.Peers != 2 || stats.Nodes != 2 {
		t.Errorf("node A's /stats: %d peers on %d nodes, want 2 on 2", stats.Peers, stats.Nodes)
	}
	// Both nodes count the swarm alike. Each tab's completed announce
	// counts one download: WebTorrent announces completed on the sharing
	// tab too, once it has verified its own copy.
	for _, tr := range []*trackerproc.Tracker{nodeA, nodeB} {
		if c := trackerCounts(t, tr.HTTPURL(), infoHash); c.Complete != 2 || c.Incomplete != 0 || c.Downloaded != 2 {
			t.Errorf("%s counts for %s: %+v, want 2 seeders, no leecher and 2 completed", tr.HTTPAddr, infoHash, c)
		}
	}
	seed.screenshot("demo-nodes-seeder.png")
	leech.screenshot("demo-nodes-leecher.png")
	noConsoleErrors(t, seed, leech)
}
