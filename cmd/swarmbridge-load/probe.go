package main

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// A window probe (-window-probe) is a command run at the start and at the
// end of the measured window that prints counters as name=number lines,
// for what the generator cannot see itself: a Redis's CPU time and
// command counts, say (bench/redis-probe.sh). The differences cover the
// window, as the tracker's CPU time from -pid does, so per-message figures
// can be taken from one result line.

// runProbe runs cmdline with sh -c and parses its output; lines that are
// not name=number are ignored.
func runProbe(cmdline string) (map[string]float64, error) {
	out, err := exec.Command("sh", "-c", cmdline).Output()
	if err != nil {
		return nil, fmt.Errorf("-window-probe %q: %w", cmdline, err)
	}
	m := map[string]float64{}
	for line := range strings.SplitSeq(string(out), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			continue
		}
		m[strings.TrimSpace(k)] = f
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("-window-probe %q: no name=number line in its output", cmdline)
	}
	return m, nil
}

// probeDeltas returns end - start for every name both have.
func probeDeltas(start, end map[string]float64) map[string]float64 {
	d := make(map[string]float64, len(end))
	for k, v := range end {
		if s, ok := start[k]; ok {
			d[k] = round(v-s, 6)
		}
	}
	return d
}
