// Package ops_test checks operator-facing behaviour of the real binary:
// TLS, reloads on SIGHUP.
package ops_test

import (
	"os"
	"testing"

	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
)

var trackerBin string

func TestMain(m *testing.M) {
	os.Exit(trackerproc.Main(&trackerBin, func() int { return trackerproc.RunChecked(m) }))
}
