package trackerproc

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// Main is the body of a black-box test package's TestMain: it builds the
// tracker into a temporary directory, stores its path in *bin, calls run
// (usually m.Run or RunChecked) and removes the directory. It returns the
// exit code for os.Exit.
func Main(bin *string, run func() int) int {
	dir, err := os.MkdirTemp("", "swarmbridge-test-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "trackerproc: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if *bin, err = Build(dir); err != nil {
		fmt.Fprintf(os.Stderr, "trackerproc: building the tracker: %v\n", err)
		return 1
	}
	return run()
}

// RunChecked runs the tests and, when they pass, fails the run if
// goroutines were left behind (goleak).
func RunChecked(m *testing.M) int {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: goroutines left after the tests: %v\n", err)
			return 1
		}
	}
	return code
}
