//go:build !race

package wire

// tcRace is set when the tests run under the race detector.
const tcRace = false
