package httptracker

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
	"github.com/swarmbridge/swarmbridge/internal/swarm/memory"
	"github.com/swarmbridge/swarmbridge/internal/testkit/bencodetest"
)

func countsOf(complete, incomplete, downloaded int) bittorrent.Counts {
	return bittorrent.Counts{Complete: complete, Incomplete: incomplete, Downloaded: downloaded}
}

// id20 builds a 20-byte id from a seed byte, with a few bytes that need
// escaping so every test exercises the decoder.
func id20(seed byte) [20]byte {
	var id [20]byte
	for i := range id {
		id[i] = seed + byte(i*13)
	}
	id[0], id[19] = seed, 0x00
	return id
}

// esc percent-encodes every byte, in upper-case hex.
func esc(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		fmt.Fprintf(&sb, "%%%02X", c)
	}
	return sb.String()
}

// escID escapes id20(seed).
func escID(seed byte) string {
	id := id20(seed)
	return esc(id[:])
}

// announceQuery is an announce with sensible defaults; extra is appended
// verbatim.
func announceQuery(ih, pid [20]byte, port int, extra string) string {
	q := "info_hash=" + esc(ih[:]) + "&peer_id=" + esc(pid[:]) + fmt.Sprintf("&port=%d", port)
	if extra != "" {
		q += "&" + extra
	}
	return q
}

// testTracker is a Handler under test with its store.
type testTracker struct {
	t     *testing.T
	h     *Handler
	store swarm.Store
}

func newTestStore() *memory.Store {
	return memory.New(memory.Options{Now: time.Now})
}

func newTracker(t *testing.T, mod func(*Config)) *testTracker {
	t.Helper()
	cfg := Config{Store: newTestStore()}
	if mod != nil {
		mod(&cfg)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &testTracker{t: t, h: h, store: cfg.Store}
}

// do sends one request with the raw query set verbatim (so it may hold any
// byte) and returns the checked, decoded response dict.
func (tr *testTracker) do(serve http.HandlerFunc, remote, query string, hdr http.Header) map[string]any {
	tr.t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	req.URL.RawQuery = query
	req.RemoteAddr = remote
	for k, v := range hdr {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	serve(rec, req)
	return checkResponse(tr.t, rec)
}

func checkResponse(t testing.TB, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200 for every response", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/plain" {
		t.Fatalf("Content-Type %q", ct)
	}
	v, err := bencodetest.Decode(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("invalid bencode %q: %v", rec.Body.Bytes(), err)
	}
	d, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("response is %T, not a dict", v)
	}
	return d
}

func (tr *testTracker) announce(remote, query string) map[string]any {
	tr.t.Helper()
	return tr.do(tr.h.ServeAnnounce, remote, query, nil)
}

func (tr *testTracker) scrape(query string) map[string]any {
	tr.t.Helper()
	return tr.do(tr.h.ServeScrape, "192.0.2.200:1", query, nil)
}

// mustOK fails unless d is a successful announce response.
func mustOK(t *testing.T, d map[string]any) map[string]any {
	t.Helper()
	if r, ok := d["failure reason"]; ok {
		t.Fatalf("unexpected failure %q", r)
	}
	return d
}

// mustFail fails unless d is exactly a failure with the given reason.
func mustFail(t *testing.T, d map[string]any, reason string) {
	t.Helper()
	r, ok := d["failure reason"]
	if !ok {
		t.Fatalf("expected failure %q, got %v", reason, d)
	}
	if r != reason {
		t.Fatalf("failure reason %q, want %q", r, reason)
	}
	for k := range d {
		if k != "failure reason" && k != "retry in" {
			t.Fatalf("failure response has extra key %q", k)
		}
	}
}

func intOf(t *testing.T, d map[string]any, key string) int64 {
	t.Helper()
	v, ok := d[key].(int64)
	if !ok {
		t.Fatalf("key %q is %T (%v), want int", key, d[key], d[key])
	}
	return v
}

func strOf(t *testing.T, d map[string]any, key string) string {
	t.Helper()
	v, ok := d[key].(string)
	if !ok {
		t.Fatalf("key %q is %T, want string", key, d[key])
	}
	return v
}

// newFullScrapeStore returns a store that can list every swarm (the
// memory store can).
func newFullScrapeStore() *memory.Store { return newTestStore() }

// plainStore hides everything but swarm.Store, so a store without
// ScrapeAll can be tried.
type plainStore struct{ swarm.Store }

// failingStore fails every call with err.
type failingStore struct {
	swarm.Store
	err error
}

func (s failingStore) Announce(context.Context, *swarm.AnnounceRequest, *swarm.AnnounceResult) error {
	return s.err
}

func (s failingStore) Scrape(context.Context, []bittorrent.InfoHash, []bittorrent.Counts) ([]bittorrent.Counts, error) {
	return nil, s.err
}

func newRequest(remote, query string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	req.URL.RawQuery = query
	req.RemoteAddr = remote
	return req
}

func serve(h http.HandlerFunc, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h(rec, req)
	return rec
}

// reusableRecorder is a ResponseWriter that can be reset between
// requests, so allocation counts measure the handler, not the recorder
// (httptest.ResponseRecorder clones its header map on every WriteHeader).
type reusableRecorder struct {
	hdr    http.Header
	status int
	body   []byte
}

func newReusableRecorder() *reusableRecorder {
	return &reusableRecorder{hdr: http.Header{}, body: make([]byte, 0, 64<<10)}
}

func (r *reusableRecorder) reset()              { r.status, r.body = 0, r.body[:0] }
func (r *reusableRecorder) Header() http.Header { return r.hdr }
func (r *reusableRecorder) WriteHeader(code int) {
	r.status = code
}

func (r *reusableRecorder) Write(p []byte) (int, error) {
	r.body = append(r.body, p...)
	return len(p), nil
}
