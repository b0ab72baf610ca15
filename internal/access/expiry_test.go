package access

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock safe for concurrent reads.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// A key with an expiry works until that instant and not from it on, on
// every path a transport checks: the WebSocket upgrade and announces and
// HTTP (CheckPath), UDP (CheckURLData). Nobody rebuilds the set: the check
// itself reads the clock.
func TestKeyExpiresAtUseOnEveryTransport(t *testing.T) {
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := newFakeClock(start)
	keys := NewKeys(clock.Now)
	keys.Replace(map[string]time.Time{
		"expiring-key-0001": start.Add(12 * time.Hour),
		"permanent-key-001": {},
	})
	c := &Control{Keys: keys}

	check := func(key string, want error) {
		t.Helper()
		for _, path := range []string{"/announce/" + key, "/" + key + "/announce", "/" + key + "/scrape"} {
			if err := c.CheckPath(path); err != want {
				t.Errorf("at %v CheckPath(%q) = %v, want %v", clock.Now().Sub(start), path, err, want)
			}
			if err := c.CheckURLData([]byte(path)); err != want {
				t.Errorf("at %v CheckURLData(%q) = %v, want %v", clock.Now().Sub(start), path, err, want)
			}
		}
	}
	check("expiring-key-0001", nil)
	check("permanent-key-001", nil)

	clock.Advance(12*time.Hour - time.Nanosecond)
	check("expiring-key-0001", nil)

	clock.Advance(time.Nanosecond) // the expiry instant itself
	check("expiring-key-0001", ErrUnknownKey)
	check("permanent-key-001", nil)

	clock.Advance(365 * 24 * time.Hour)
	check("expiring-key-0001", ErrUnknownKey)
	check("permanent-key-001", nil)

	if n := testing.AllocsPerRun(100, func() { _ = c.CheckURLData([]byte("/announce/permanent-key-001")) }); n != 0 {
		t.Errorf("CheckURLData allocates %v times", n)
	}
}

// Sets fed by a database start empty, are swapped whole by Replace, and a
// SIGHUP reload (which has no file to read for them) leaves them alone.
func TestDatabaseFedSets(t *testing.T) {
	keys := NewKeys(nil)
	allow := NewHashFilter(false)
	c := &Control{Keys: keys, Hashes: allow}
	if !c.Private() || c.CheckPath("/announce/alice-0123456789") != ErrUnknownKey {
		t.Fatal("an empty key set must refuse every key")
	}
	if !errors.Is(c.CheckInfoHash(hash(0xaa)), ErrInfoHashNotAllowed) {
		t.Fatal("an empty allow-list must allow nothing")
	}
	if NewHashFilter(true).Allow(hash(0xaa)) != true {
		t.Fatal("an empty deny-list must allow everything")
	}

	keys.Replace(map[string]time.Time{"alice-0123456789": {}})
	allow.Replace(map[[20]byte]struct{}{hash(0xaa): {}})
	if err := c.Reload(); err != nil {
		t.Fatalf("reload with no files: %v", err)
	}
	if c.CheckPath("/announce/alice-0123456789") != nil || c.CheckInfoHash(hash(0xaa)) != nil {
		t.Fatal("replaced sets not in force (or lost by Reload)")
	}
	if c.CheckInfoHash(hash(0xbb)) == nil {
		t.Fatal("unlisted hash allowed")
	}
	if s := c.Summary(); !strings.Contains(s, "allow-list: 1 hashes") || !strings.Contains(s, "private: 1 keys") {
		t.Fatalf("summary %q", s)
	}

	keys.Replace(map[string]time.Time{"bob-0123456789": {}})
	allow.Replace(nil)
	if c.CheckPath("/announce/alice-0123456789") != ErrUnknownKey || c.CheckPath("/announce/bob-0123456789") != nil {
		t.Fatal("Replace must swap the whole set")
	}
	if c.CheckInfoHash(hash(0xaa)) == nil {
		t.Fatal("Replace(nil) must empty the list")
	}

	// The Unix epoch is a real (long past) expiry, not "never".
	keys.Replace(map[string]time.Time{"epoch-key-0001": time.Unix(0, 0)})
	if c.CheckPath("/announce/epoch-key-0001") != ErrUnknownKey {
		t.Fatal("a key that expired in 1970 works")
	}
}

func TestGenerateKey(t *testing.T) {
	seen := map[string]bool{}
	symbols := map[rune]bool{}
	for range 2000 {
		k := GenerateKey()
		if len(k) != GeneratedKeyLen || !ValidKey(k) {
			t.Fatalf("generated key %q is not valid", k)
		}
		if seen[k] {
			t.Fatalf("key %q generated twice", k)
		}
		seen[k] = true
		for _, r := range k {
			symbols[r] = true
		}
	}
	// 64,000 symbols drawn: every one of the 62 shows up unless the
	// generator is broken.
	if len(symbols) != len(keyAlphabet) {
		t.Fatalf("only %d of %d symbols ever drawn", len(symbols), len(keyAlphabet))
	}
}
