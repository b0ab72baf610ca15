//go:build !race

package trackerproc

const raceEnabled = false
