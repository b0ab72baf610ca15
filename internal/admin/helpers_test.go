package admin

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/logbuf"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/swarmbridge/swarmbridge/internal/db"
	"github.com/swarmbridge/swarmbridge/internal/testkit/dbtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testToken is the API's token in tests; it must never show up in a log
// line or an answer.
const testToken = "TOKEN-e1f0c2d7a9b84b3c9d5e6f708192a3b4"

var epoch = time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)

// fakeStats answers for two torrents, A (busy) and B.
type fakeStats struct{ fail bool }

var (
	hashA = strings.Repeat("a", 40)
	hashB = strings.Repeat("b", 40)
)

func (f fakeStats) Torrent(_ context.Context, ih [20]byte) (TorrentStats, bool, error) {
	if f.fail {
		return TorrentStats{}, false, errors.New("swarm store down")
	}
	for _, st := range f.all() {
		if st.InfoHash == hex.EncodeToString(ih[:]) {
			return st, true, nil
		}
	}
	return TorrentStats{}, false, nil
}

func (f fakeStats) Busiest(_ context.Context, n int) ([]TorrentStats, error) {
	if f.fail {
		return nil, errors.New("swarm store down")
	}
	all := f.all()
	return all[:min(n, len(all))], nil
}

func (fakeStats) all() []TorrentStats {
	first := epoch
	return []TorrentStats{
		{InfoHash: hashA, Seeders: 3, Leechers: 5, PeersByKind: map[string]int{"webrtc": 6, "native": 2}, Downloaded: 42, FirstSeen: &first},
		{InfoHash: hashB, Seeders: 1, Leechers: 0, PeersByKind: map[string]int{"webrtc": 0, "native": 1}},
	}
}

// fakeReloader fails when told to, naming a file and line as the real
// one does.
type fakeReloader struct {
	mu    sync.Mutex
	fail  bool
	calls int
}

func (f *fakeReloader) Reload(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail {
		return "", errors.New("info hash allow-list /etc/swarmbridge/allow.txt: line 3: \"xyz\" is not an info hash (40 hex digits)")
	}
	return "origins: any; info hash allow-list: 2 hashes; private: 5 keys", nil
}

// api is an API served over HTTP for one test, on a fresh SQLite
// database.
type api struct {
	srv      *httptest.Server
	h        *Handler
	db       *db.DB
	logs     *logbuf.Buffer
	reloader *fakeReloader
	stats    *fakeStats
	mu       sync.Mutex
	now      time.Time
	// bodies collects every answer, to check none holds the token.
	bodies *logbuf.Buffer
}

type apiOption func(*Options)

func newAPI(t *testing.T, opts ...apiOption) *api {
	t.Helper()
	a := &api{logs: &logbuf.Buffer{}, reloader: &fakeReloader{}, stats: &fakeStats{}, now: epoch, bodies: &logbuf.Buffer{}}
	d, err := db.Open(context.Background(), dbtest.SQLite(t), db.WithClock(a.clock))
	if err != nil {
		t.Fatal(err)
	}
	a.db = d
	o := Options{
		Token: []byte(testToken), Store: d, Stats: a.stats, Reloader: a.reloader,
		ListMode: "allow", Log: zerolog.New(a.logs), Now: a.clock,
	}
	for _, opt := range opts {
		opt(&o)
	}
	a.h, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		a.h.ServeHTTP(rec, r)
		a.bodies.Write(rec.Body.Bytes())
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(func() {
		a.srv.Close()
		d.Close()
		for what, s := range map[string]string{"log": a.logs.String(), "answers": a.bodies.String()} {
			if strings.Contains(s, testToken) || strings.Contains(s, testToken[6:20]) {
				t.Errorf("the token shows up in the %s:\n%s", what, s)
			}
		}
	})
	return a
}

func (a *api) clock() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.now
}

func (a *api) advance(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.now = a.now.Add(d)
}

// response is an answer, its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// errorText is the "error" of a JSON error body, failing the test when
// the body is not one.
func (r response) errorText(t *testing.T) string {
	t.Helper()
	var eb ErrorBody
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&eb); err != nil || eb.Error == "" {
		t.Fatalf("HTTP %d: body %q is not {\"error\": ...}", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error with Content-Type %q", ct)
	}
	return eb.Error
}

// decode reads the body into v (zeroed first), refusing fields v lacks.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	reflect.ValueOf(v).Elem().SetZero()
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("HTTP %d body %q: %v", r.status, r.body, err)
	}
}

// request sends method path with body (a string sent as is, or a value
// sent as JSON; nil for none) and the good token unless headers say
// otherwise.
func (a *api) request(t *testing.T, method, path string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, a.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := a.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// client is a Client for the test's API.
func (a *api) client() *Client {
	return &Client{BaseURL: a.srv.URL, Token: []byte(testToken), HTTP: a.srv.Client()}
}
