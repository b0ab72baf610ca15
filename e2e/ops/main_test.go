// Package ops_test checks operator-facing behaviour of the real binary:
// TLS, reloads on SIGHUP.
package ops_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/swarmbridge/swarmbridge/internal/trackerproc"
)

var trackerBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "swarmbridge-ops-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if trackerBin, err = trackerproc.Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		_ = os.RemoveAll(dir)
		os.Exit(code)
	}))
}
