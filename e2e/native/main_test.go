// Package native_test holds black-box tests of Swarmbridge's native
// BitTorrent side: real clients (anacrolix/torrent, libtorrent), the
// project's own client library (trackerclient) and raw malformed traffic
// talk to the built cmd/swarmbridge binary over loopback only, and nothing
// but the tracker can introduce them.
package native_test

import (
	"os"
	"testing"

	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
)

// trackerBin is the swarmbridge binary TestMain builds once.
var trackerBin string

func TestMain(m *testing.M) {
	os.Exit(trackerproc.Main(&trackerBin, func() int { return trackerproc.RunChecked(m) }))
}
