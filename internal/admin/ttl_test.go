package admin

import (
	"testing"
	"time"
)

func TestParseTTL(t *testing.T) {
	day := 24 * time.Hour
	for in, want := range map[string]time.Duration{
		"":          0,
		"permanent": 0,
		"30d":       30 * day,
		"12h":       12 * time.Hour,
		"90m":       90 * time.Minute,
		"45s":       45 * time.Second,
		"2w":        14 * day,
		"1w2d3h":    9*day + 3*time.Hour,
		"1d12h":     36 * time.Hour,
		"36500d":    36500 * day,
	} {
		got, err := ParseTTL(in)
		if err != nil || got != want {
			t.Errorf("ParseTTL(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{
		"0d", "0s", "d", "30", "30x", "1.5h", "-1h", "+1h", "30 d", " 30d", "30D", "1h 30m",
		"Permanent", "never", "36501d", "5300w", "9999999999w", "999999w999999w", "1d-1h",
	} {
		if got, err := ParseTTL(bad); err == nil {
			t.Errorf("ParseTTL(%q) = %v, want an error", bad, got)
		}
	}
}
