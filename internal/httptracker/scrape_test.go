package httptracker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// files returns the "files" dict of a scrape response, checking flags.
func files(t *testing.T, d map[string]any, minInterval int64) map[string]any {
	t.Helper()
	if r, ok := d["failure reason"]; ok {
		t.Fatalf("scrape failed: %q", r)
	}
	if len(d) != 2 {
		t.Fatalf("scrape keys %v, want files and flags", d)
	}
	flags, ok := d["flags"].(map[string]any)
	if !ok || len(flags) != 1 || intOf(t, flags, "min_request_interval") != minInterval {
		t.Fatalf("flags %v", d["flags"])
	}
	f, ok := d["files"].(map[string]any)
	if !ok {
		t.Fatalf("files is %T", d["files"])
	}
	return f
}

func fileCounts(t *testing.T, f map[string]any, ih [20]byte) string {
	t.Helper()
	e, ok := f[string(ih[:])].(map[string]any)
	if !ok {
		t.Fatalf("hash %x missing from files", ih)
	}
	if len(e) != 3 {
		t.Fatalf("file entry %v", e)
	}
	return fmt.Sprintf("%d/%d/%d", intOf(t, e, "complete"), intOf(t, e, "incomplete"), intOf(t, e, "downloaded"))
}

func TestScrape(t *testing.T) {
	tr := newTracker(t, nil)
	a, b, unknown := id20(1), id20(2), id20(3)
	a[0], b[0], unknown[0] = 0xf0, 0x10, 0x80 // request order differs from byte order
	mustOK(t, tr.announce("192.0.2.1:1", announceQuery(a, id20(10), 1, "left=0&event=completed")))
	mustOK(t, tr.announce("192.0.2.2:1", announceQuery(a, id20(11), 1, "left=3")))
	mustOK(t, tr.announce("[2001:db8::1]:1", announceQuery(b, id20(12), 1, "")))

	q := "info_hash=" + esc(a[:]) + "&info_hash=" + esc(unknown[:]) + "&info_hash=" + esc(b[:]) + "&info_hash=" + strings.ToLower(esc(a[:]))
	rec := serve(tr.h.ServeScrape, newRequest("192.0.2.9:1", q))
	checkResponse(t, rec)
	// Exact bytes: keys sorted (b < unknown < a), the duplicate once.
	want := "d5:filesd" +
		"20:" + string(b[:]) + "d8:completei0e10:downloadedi0e10:incompletei1ee" +
		"20:" + string(unknown[:]) + "d8:completei0e10:downloadedi0e10:incompletei0ee" +
		"20:" + string(a[:]) + "d8:completei1e10:downloadedi1e10:incompletei1ee" +
		"e5:flagsd20:min_request_intervali900eee"
	if rec.Body.String() != want {
		t.Fatalf("got  %q\nwant %q", rec.Body.String(), want)
	}
	f := files(t, tr.scrape(q), 900)
	if len(f) != 3 || fileCounts(t, f, a) != "1/1/1" || fileCounts(t, f, b) != "0/1/0" || fileCounts(t, f, unknown) != "0/0/0" {
		t.Fatalf("files %v", f)
	}
}

func TestScrapeLimits(t *testing.T) {
	tr := newTracker(t, func(c *Config) { c.MaxScrapeHashes = 3 })
	one := "info_hash=" + escID(1)
	three := strings.Join([]string{one, one, one}, "&")
	files(t, tr.scrape(three), 900)
	mustFail(t, tr.scrape(three+"&"+one), "too many info_hash values in scrape")
	mustFail(t, tr.scrape("info_hash="+escID(1)+"%00"), "invalid info_hash")
	mustFail(t, tr.scrape(one+"&x=%zz"), "invalid percent-encoding in query string")
	mustFail(t, tr.scrape(""), "full scrape is not allowed")
	mustFail(t, tr.scrape("passkey=abc"), "full scrape is not allowed")

	// The default limits admit MaxScrapeHashes fully escaped hashes even
	// though that is longer than MaxQueryLen.
	tr = newTracker(t, nil)
	var parts []string
	for i := range DefaultMaxScrapeHashes {
		parts = append(parts, "info_hash="+escID(byte(i)))
	}
	q := strings.Join(parts, "&")
	if len(q) <= DefaultMaxQueryLen {
		t.Fatalf("test query only %d bytes", len(q))
	}
	if f := files(t, tr.scrape(q), 900); len(f) != DefaultMaxScrapeHashes {
		t.Fatalf("%d files", len(f))
	}
	mustFail(t, tr.scrape(q+"&pad="+strings.Repeat("x", DefaultMaxQueryLen)), "query string too long")
}

func TestScrapePlusRetry(t *testing.T) {
	tr := newTracker(t, nil)
	spaced := id20(5)
	spaced[3] = ' '
	mustOK(t, tr.announce("192.0.2.1:1", announceQuery(spaced, id20(1), 1, "left=0")))
	other := id20(6)
	other[3] = '+'
	q := "info_hash=" + esc(spaced[:3]) + "+" + esc(spaced[4:]) + "&info_hash=" + esc(other[:3]) + "+" + esc(other[4:])
	f := files(t, tr.scrape(q), 900)
	// The first resolves to the existing space form; for the second neither
	// form exists, so both are answered with zeros.
	otherSpaced := other
	otherSpaced[3] = ' '
	if len(f) != 3 || fileCounts(t, f, spaced) != "1/0/0" || fileCounts(t, f, other) != "0/0/0" || fileCounts(t, f, otherSpaced) != "0/0/0" {
		t.Fatalf("files %q", f)
	}
	// When the literal form exists it wins, and only it is reported.
	mustOK(t, tr.announce("192.0.2.2:1", announceQuery(other, id20(2), 1, "")))
	f = files(t, tr.scrape(q), 900)
	if len(f) != 2 || fileCounts(t, f, spaced) != "1/0/0" || fileCounts(t, f, other) != "0/1/0" {
		t.Fatalf("files %q", f)
	}
}

func TestFullScrape(t *testing.T) {
	store := newFullScrapeStore()
	tr := newTracker(t, func(c *Config) { c.Store = store; c.AllowFullScrape = true })
	a, b := id20(1), id20(2)
	mustOK(t, tr.announce("192.0.2.1:1", announceQuery(a, id20(10), 1, "left=0")))
	mustOK(t, tr.announce("192.0.2.2:1", announceQuery(b, id20(11), 1, "")))
	f := files(t, tr.scrape(""), 900)
	if len(f) != 2 || fileCounts(t, f, a) != "1/0/0" || fileCounts(t, f, b) != "0/1/0" {
		t.Fatalf("files %v", f)
	}
	// With hashes it is a normal scrape.
	if f := files(t, tr.scrape("info_hash="+esc(a[:])), 900); len(f) != 1 {
		t.Fatalf("files %v", f)
	}

	// Refused by default even when the store could do it.
	tr = newTracker(t, func(c *Config) { c.Store = store })
	mustFail(t, tr.scrape(""), "full scrape is not allowed")
}

type brokenFullScraper struct{ swarm.Store }

func (brokenFullScraper) ScrapeAll(context.Context, func(bittorrent.InfoHash, bittorrent.Counts) bool) error {
	return errors.New("boom")
}

func TestFullScrapeErrors(t *testing.T) {
	// A store without ScrapeAll cannot be configured for full scrapes.
	_, err := New(Config{Store: plainStore{newTestStore()}, AllowFullScrape: true})
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "ScrapeAll") {
		t.Fatalf("New: %v", err)
	}
	tr := newTracker(t, func(c *Config) { c.Store = brokenFullScraper{newFullScrapeStore()}; c.AllowFullScrape = true })
	mustFail(t, tr.scrape(""), "full scrape failed")
}

func TestScrapeStoreError(t *testing.T) {
	tr := newTracker(t, func(c *Config) { c.Store = failingStore{err: errors.New("down")} })
	mustFail(t, tr.scrape("info_hash="+escID(1)), "internal tracker error")
}

type shortScrapeStore struct{ swarm.Store }

func (shortScrapeStore) Scrape(_ context.Context, _ []bittorrent.InfoHash, dst []bittorrent.Counts) ([]bittorrent.Counts, error) {
	return dst, nil
}

func TestScrapeStoreContractViolation(t *testing.T) {
	tr := newTracker(t, func(c *Config) { c.Store = shortScrapeStore{newTestStore()} })
	mustFail(t, tr.scrape("info_hash="+escID(1)), "internal tracker error")
}

func TestScrapeAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	tr := newTracker(t, nil)
	var parts []string
	for i := range 10 {
		ih := id20(byte(200 - i))
		mustOK(t, tr.announce("192.0.2.1:1", announceQuery(ih, id20(1), 1, "")))
		parts = append(parts, "info_hash="+esc(ih[:]))
	}
	req := newRequest("192.0.2.2:1", strings.Join(parts, "&"))
	w := newReusableRecorder()
	serveOnce := func() {
		w.reset()
		tr.h.ServeScrape(w, req)
	}
	serveOnce()
	if n := testing.AllocsPerRun(200, serveOnce); n > 0 {
		t.Errorf("ServeScrape allocates %v times per request", n)
	}
}
