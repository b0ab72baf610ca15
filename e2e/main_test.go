// Package e2e holds black-box end-to-end tests: they build cmd/swarmbridge,
// run it as a subprocess and talk to it only over the network, the way
// WebTorrent browsers do.
package e2e

import (
	"os"
	"testing"

	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
)

// trackerBin is the swarmbridge binary built by TestMain.
var trackerBin string

func TestMain(m *testing.M) {
	os.Exit(trackerproc.Main(&trackerBin, func() int { return trackerproc.RunChecked(m) }))
}

// startTracker runs the tracker on loopback (see trackerproc.Start).
// Tracker pings are pushed out of the test's way: the Go client library
// (coder/websocket) must write each pong within a hard-coded 5 s, and when
// a busy machine starves this test process for longer, the client drops its
// own connection ("failed to write control frame opPong: failed to acquire
// lock"). Browsers answer pings natively, and pings are tested in the
// signaling package, so this is a harness limit, not behaviour under test.
func startTracker(t *testing.T) *trackerproc.Tracker {
	return trackerproc.Start(t, trackerBin, "SWARMBRIDGE_WS_PING_INTERVAL=0")
}
