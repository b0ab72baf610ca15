// Package native_test holds black-box tests of Swarmbridge's native
// BitTorrent side: real clients (anacrolix/torrent, libtorrent) and raw
// HTTP/UDP/WebSocket peers talk to the built cmd/swarmbridge binary over
// loopback only, and nothing but the tracker can introduce them.
package native_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/swarmbridge/swarmbridge/internal/trackerproc"
)

// trackerBin is the swarmbridge binary TestMain builds once.
var trackerBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "swarmbridge-native-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "native: %v\n", err)
		os.Exit(1)
	}
	trackerBin, err = trackerproc.Build(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "native: building the tracker: %v\n", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		_ = os.RemoveAll(dir)
		os.Exit(code)
	}))
}
