//go:build race

package trackerproc

// raceEnabled is true when the tests using this package are built with
// -race; the tracker is then built with -race as well, so a data race in
// it makes it exit non-zero and fails the shutdown check.
const raceEnabled = true
