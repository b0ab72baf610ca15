//go:build !race

package signaling

// tcRace is set when the tests run under the race detector.
const tcRace = false
