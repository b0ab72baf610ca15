package browser_test

import (
	"os"
	"testing"

	"github.com/swarmbridge/swarmbridge/internal/testkit/loopbackns"
	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
)

// trackerBin is the swarmbridge binary under test.
var trackerBin string

func TestMain(m *testing.M) {
	os.Exit(loopbackns.Run(func() int { return trackerproc.Main(&trackerBin, m.Run) }))
}
