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

// startTracker runs the tracker on loopback (see trackerproc.Start),
// pinging every 2 s so that the peers' client library (trackerclient)
// answers pings throughout. A pong it cannot write in time on a starved
// machine is skipped, not fatal, and the tracker waits 45 s more before it
// gives up on a client.
func startTracker(t *testing.T) *trackerproc.Tracker {
	return trackerproc.Start(t, trackerBin, "SWARMBRIDGE_WS_PING_INTERVAL=2s")
}
