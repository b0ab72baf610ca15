package browser_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/swarmbridge/swarmbridge/internal/loopbackns"
	"github.com/swarmbridge/swarmbridge/internal/trackerproc"
)

// trackerBin is the swarmbridge binary under test.
var trackerBin string

func TestMain(m *testing.M) {
	os.Exit(loopbackns.Run(func() int {
		dir, err := os.MkdirTemp("", "swarmbridge-browser")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		trackerBin, err = trackerproc.Build(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}))
}
