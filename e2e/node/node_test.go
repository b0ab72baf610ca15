package node_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/loopbackns"
	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
)

var trackerBin string

func TestMain(m *testing.M) {
	os.Exit(loopbackns.Run(func() int { return trackerproc.Main(&trackerBin, m.Run) }))
}

// The client of the bittorrent-tracker npm package (what WebTorrent uses),
// unmodified, in Node with a WebRTC module: two clients on separate sockets
// and paths announce, connect to each other over WebRTC through the
// tracker's relay, exchange data, and scrape the right counts.
func TestBittorrentTrackerClientInterop(t *testing.T) {
	if _, err := os.Stat("node_modules/bittorrent-tracker"); err != nil {
		t.Fatalf("npm packages missing (%v): run `make test` (scripts/test.sh runs npm ci in e2e/node)", err)
	}
	tr := trackerproc.Start(t, trackerBin)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "--import", "./register.mjs", "client-interop.mjs", tr.WSURL())
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("client interop failed: %v\nresult: %s\nclient log:\n%s", err, out, stderr)
	}
}
