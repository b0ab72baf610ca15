package httptracker

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestNewValidation(t *testing.T) {
	store := newTestStore()
	tests := []struct {
		name string
		cfg  Config
	}{
		{"nil store", Config{}},
		{"sub-second interval", Config{Store: store, Interval: time.Millisecond}},
		{"negative interval", Config{Store: store, Interval: -time.Second}},
		{"min interval above interval", Config{Store: store, Interval: time.Minute, MinInterval: 2 * time.Minute}},
		{"negative min interval", Config{Store: store, MinInterval: -1}},
		{"ttl below interval", Config{Store: store, Interval: time.Hour, PeerTTL: time.Minute}},
		{"negative ttl", Config{Store: store, PeerTTL: -1}},
		{"negative numwant", Config{Store: store, DefaultNumWant: -1}},
		{"default above max", Config{Store: store, DefaultNumWant: 20, MaxNumWant: 10}},
		{"negative max numwant", Config{Store: store, MaxNumWant: -1}},
		{"negative max scrape", Config{Store: store, MaxScrapeHashes: -1}},
		{"negative max query", Config{Store: store, MaxQueryLen: -1}},
		{"full scrape without ScrapeAll", Config{Store: plainStore{store}, AllowFullScrape: true}},
	}
	for _, tc := range tests {
		h, err := New(tc.cfg)
		if err == nil || h != nil {
			t.Errorf("%s: New accepted it", tc.name)
			continue
		}
		if !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v does not wrap ErrConfig", tc.name, err)
		}
	}
}

func TestNewDefaults(t *testing.T) {
	h, err := New(Config{Store: newTestStore()})
	if err != nil {
		t.Fatal(err)
	}
	if h.intervalSec != 1800 || h.minIntervalSec != 900 || h.peerTTL != time.Hour+time.Minute ||
		h.numWant != (numWantLimits{50, 100}) || h.maxScrape != 100 || h.maxQuery != 4096 || h.full != nil {
		t.Fatalf("defaults %+v", h)
	}
	// A small MaxNumWant lowers the default instead of contradicting it.
	h, err = New(Config{Store: newTestStore(), MaxNumWant: 10, Interval: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if h.numWant != (numWantLimits{10, 10}) || h.intervalSec != 600 || h.minIntervalSec != 300 || h.peerTTL != 21*time.Minute {
		t.Fatalf("derived defaults %+v", h)
	}
}

func TestFailureError(t *testing.T) {
	var err error = &Failure{Reason: "x", RetryIn: "5"}
	var f *Failure
	if !errors.As(err, &f) || f.Reason != "x" || err.Error() == "" {
		t.Fatal(err)
	}
}

func TestScrapeQueryLimit(t *testing.T) {
	if got := scrapeQueryLimit(4096, 100); got != 4096+100*71 {
		t.Fatalf("got %d", got)
	}
	if got := scrapeQueryLimit(4096, math.MaxInt/2); got != math.MaxInt {
		t.Fatalf("no saturation: %d", got)
	}
}
