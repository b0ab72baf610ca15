//go:build race

package wire

// tcRace: the race detector slows the codec tests about tenfold; the long
// randomized ones scale down under it (they have nothing concurrent to check).
const tcRace = true
