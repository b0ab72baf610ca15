//go:build race

package httptracker

// raceEnabled skips allocation checks: under the race detector sync.Pool
// drops a share of Put items on purpose, so pooled paths allocate.
const raceEnabled = true
