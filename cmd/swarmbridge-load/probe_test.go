package main

import (
	"maps"
	"testing"
)

func TestWindowProbe(t *testing.T) {
	m, err := runProbe(`echo a=1; echo "b = 2.5"; echo not a counter; echo c=x; echo d=-3`)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]float64{"a": 1, "b": 2.5, "d": -3}; !maps.Equal(m, want) {
		t.Errorf("parsed %v, want %v", m, want)
	}
	d := probeDeltas(map[string]float64{"a": 1, "b": 2.5, "gone": 1}, map[string]float64{"a": 4, "b": 2, "new": 7})
	if want := map[string]float64{"a": 3, "b": -0.5}; !maps.Equal(d, want) {
		t.Errorf("deltas %v, want %v", d, want)
	}
	for _, bad := range []string{"exit 3", "echo nothing to count"} {
		if _, err := runProbe(bad); err == nil {
			t.Errorf("probe %q accepted", bad)
		}
	}
}
