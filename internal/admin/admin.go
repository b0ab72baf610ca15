// Package admin is the tracker's management API: an http.Handler, meant
// for a listener of its own, through which operators manage private keys
// and the info hash list while the tracker runs, read per-torrent stats,
// and reload the list files. Every route but the OpenAPI document
// (/admin/openapi.json) needs "Authorization: Bearer <token>".
//
// The package also holds the API's Go client and the command line that
// drives it (RunCLI).
package admin

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/internal/db"
)

// Store is the part of the database the API manages; *db.DB is one.
type Store interface {
	CreateKey(ctx context.Context, nk db.NewKey) (db.Key, error)
	Key(ctx context.Context, key string) (db.Key, error)
	Keys(ctx context.Context, after string, limit int) ([]db.Key, error)
	DeleteKey(ctx context.Context, key string) error
	ImportKeys(ctx context.Context, keys []string, note string) (added int, err error)
	AddInfoHashes(ctx context.Context, hashes [][20]byte, note string) (added int, err error)
	RemoveInfoHash(ctx context.Context, ih [20]byte) error
	InfoHashes(ctx context.Context, after string, limit int) ([]db.InfoHash, error)
}

// Stats is what the tracker tells about its torrents; the server
// implements it from its swarm store and its db.Tally.
type Stats interface {
	// Torrent reports one torrent; found is false when the tracker has
	// neither peers nor stored stats for it.
	Torrent(ctx context.Context, ih [20]byte) (st TorrentStats, found bool, err error)
	// Busiest reports up to n torrents with the most peers, most first.
	Busiest(ctx context.Context, n int) ([]TorrentStats, error)
}

// Reloader reloads what SIGHUP reloads (the list files, the TLS
// certificate) and describes the access policy then in force.
type Reloader interface {
	Reload(ctx context.Context) (summary string, err error)
}

// MinTokenLen is the shortest bearer token the API accepts to run with.
const MinTokenLen = 16

// Options configure a Handler. Token, Store, Stats and Reloader are
// required.
type Options struct {
	// Token is the bearer token every request must carry (see
	// ReadTokenFile). It never appears in logs or responses.
	Token    []byte
	Store    Store
	Stats    Stats
	Reloader Reloader
	// ListMode is what the tracker does with the info hash list:
	// "allow", "deny", or "off" (also the meaning of empty).
	ListMode string
	// Log receives one line per request: method, route, status, client
	// address. Default: nowhere.
	Log zerolog.Logger
	// Now is the clock that decides whether a listed key has expired
	// (default time.Now).
	Now func() time.Time
}

// Handler serves the management API.
type Handler struct {
	tokenHash [32]byte
	store     Store
	stats     Stats
	reloader  Reloader
	mode      string
	log       zerolog.Logger
	now       func() time.Time

	mux *http.ServeMux
	// paths matches request paths without regard to method, to tell a
	// wrong method (405) from an unknown path (404).
	paths *http.ServeMux
	// observe, when set (by tests), sees every answered route and status.
	observe func(method, pattern string, status int)
}

// New returns the API handler.
func New(o Options) (*Handler, error) {
	switch {
	case len(o.Token) < MinTokenLen:
		return nil, fmt.Errorf("admin API: the token must have at least %d characters", MinTokenLen)
	case o.Store == nil || o.Stats == nil || o.Reloader == nil:
		return nil, errors.New("admin API: Store, Stats and Reloader are required")
	}
	switch o.ListMode {
	case "":
		o.ListMode = "off"
	case "off", "allow", "deny":
	default:
		return nil, fmt.Errorf("admin API: list mode %q: want allow, deny or off", o.ListMode)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	h := &Handler{
		// Only the hash is kept: comparing hashes in constant time also
		// hides the token's length.
		tokenHash: sha256.Sum256(o.Token),
		store:     o.Store,
		stats:     o.Stats,
		reloader:  o.Reloader,
		mode:      o.ListMode,
		log:       o.Log,
		now:       o.Now,
		mux:       http.NewServeMux(),
		paths:     http.NewServeMux(),
	}
	seen := map[string]bool{}
	for _, rt := range routes {
		h.mux.Handle(rt.method+" "+rt.pattern, h.serve(rt))
		if !seen[rt.pattern] {
			seen[rt.pattern] = true
			h.paths.Handle(rt.pattern, http.NotFoundHandler())
		}
	}
	return h, nil
}

// ServeHTTP answers one API request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := h.mux.Handler(r); pattern != "" {
		h.mux.ServeHTTP(w, r)
		return
	}
	// No route: say why, in JSON like every other answer.
	rec := &statusRecorder{ResponseWriter: w}
	switch {
	case !h.authorized(r):
		h.refuse(rec, r)
	default:
		if _, p := h.paths.Handler(r); p != "" {
			w.Header().Set("Allow", allowed(p))
			writeError(rec, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed here; allowed: "+allowed(p))
		} else {
			writeError(rec, http.StatusNotFound, "no such API route; see /admin/openapi.json")
		}
	}
	h.logRequest(r, "", rec.status)
}

// allowed lists the methods routes accept on pattern.
func allowed(pattern string) string {
	s := ""
	for _, rt := range routes {
		if rt.pattern == pattern {
			if s != "" {
				s += ", "
			}
			s += rt.method
		}
	}
	return s
}

// serve wraps a route's handler with authentication, logging and the
// test observer.
func (h *Handler) serve(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		if rt.public || h.authorized(r) {
			rt.handle(h, rec, r)
		} else {
			h.refuse(rec, r)
		}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		h.logRequest(r, rt.pattern, rec.status)
		if h.observe != nil {
			h.observe(rt.method, rt.pattern, rec.status)
		}
	})
}

func (h *Handler) logRequest(r *http.Request, pattern string, status int) {
	ev := h.log.Info()
	if status >= 500 {
		ev = h.log.Error()
	}
	if pattern == "" {
		pattern = "(no route)"
	}
	// The route pattern, not the path: paths carry keys. Headers are never
	// logged: one carries the token.
	ev.Str("method", r.Method).Str("route", pattern).Int("status", status).Str("client", r.RemoteAddr).Msg("admin API request")
}

// statusRecorder remembers the status a handler sent.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}
