package httptracker

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// Handler serves announces and scrapes. Create it with New; it is safe for
// concurrent use.
type Handler struct {
	store      swarm.Store
	full       bittorrent.FullScraper // non-nil only when full scrapes are allowed
	clientAddr func(*http.Request) (netip.Addr, error)
	log        zerolog.Logger

	intervalSec    int64
	minIntervalSec int64
	peerTTL        time.Duration
	numWant        numWantLimits
	maxScrape      int
	maxQuery       int
	maxScrapeQuery int

	scratch sync.Pool // *scratch
	stats   counters
	obs     Observer

	policy bittorrent.Policy
}

// New validates cfg, fills defaults and returns a Handler.
func New(cfg Config) (*Handler, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	h := &Handler{
		store:          c.Store,
		clientAddr:     c.ClientAddr,
		log:            c.Logger,
		intervalSec:    int64(c.Interval / time.Second),
		minIntervalSec: int64(c.MinInterval / time.Second),
		peerTTL:        c.PeerTTL,
		numWant:        numWantLimits{def: c.DefaultNumWant, max: c.MaxNumWant},
		maxScrape:      c.MaxScrapeHashes,
		maxQuery:       c.MaxQueryLen,
		maxScrapeQuery: scrapeQueryLimit(c.MaxQueryLen, c.MaxScrapeHashes),
		obs:            c.Observer,
		policy:         c.Policy,
	}
	if h.obs == nil {
		h.obs = nopObserver{}
	}
	if c.AllowFullScrape {
		h.full, _ = c.Store.(bittorrent.FullScraper) // presence checked by withDefaults
	}
	h.scratch.New = func() any { return new(scratch) }
	return h, nil
}

// scrapeQueryLimit is the scrape query length cap: MaxQueryLen plus room
// for maxHashes fully escaped info_hash parameters, saturating rather than
// overflowing for absurd limits.
func scrapeQueryLimit(maxQuery, maxHashes int) int {
	const perHash = len("&info_hash=") + 3*20
	if maxHashes > (math.MaxInt-maxQuery)/perHash {
		return math.MaxInt
	}
	return maxQuery + maxHashes*perHash
}

// scratch is the per-request working memory, pooled so the hot paths do
// not allocate: the store gets pointers into it, which would otherwise
// escape to the heap on every request.
type scratch struct {
	buf        []byte
	params     announceParams
	req        swarm.AnnounceRequest
	res        swarm.AnnounceResult
	hashes     []bittorrent.InfoHash
	plusIdx    []int
	plusHashes []bittorrent.InfoHash
	counts     []bittorrent.Counts
	entries    []scrapeEntry
}

// maxPooledBuf keeps full-scrape sized buffers out of the pool, so one big
// response does not pin its memory for the life of the process.
const maxPooledBuf = 64 << 10

func (h *Handler) getScratch() *scratch { return h.scratch.Get().(*scratch) }

func (h *Handler) putScratch(s *scratch) {
	if cap(s.buf) > maxPooledBuf || cap(s.entries) > 4*h.maxScrape {
		return
	}
	// Do not keep the store's peers reachable from the pool. Entries past
	// len were cleared when an earlier request put the scratch back.
	clear(s.res.Peers)
	s.res.Peers = s.res.Peers[:0]
	h.scratch.Put(s)
}

// textPlain is shared so setting the header does not allocate; capacity 1
// makes any append by a middleware copy instead of writing into it.
var textPlain = []string{"text/plain"}[:1:1]

// writeBody sends a bencoded body. Failures are sent with status 200 too,
// because many clients treat any other status as a hard error and never
// read the reason (docs/protocol.md §10.4).
func writeBody(w http.ResponseWriter, body []byte) {
	w.Header()["Content-Type"] = textPlain
	w.WriteHeader(http.StatusOK)
	// A write error means the client went away; there is no one to tell.
	_, _ = w.Write(body)
}

// storeFailure turns a Store error into what the client sees: a *Failure
// the store chose is passed on, anything else is logged and hidden.
func (h *Handler) storeFailure(ctx context.Context, op string, err error) *Failure {
	h.stats.storeErrors.Add(1)
	var f *Failure
	if errors.As(err, &f) {
		return f
	}
	if ctx.Err() == nil {
		h.log.Error().Err(err).Str("op", op).Msg("swarm store failed")
	}
	return failInternal
}

// clientAddress asks the configured resolver and normalizes its answer,
// because a custom ClientAddr may return mapped or zoned addresses.
func (h *Handler) clientAddress(r *http.Request) (netip.Addr, *Failure) {
	a, err := h.clientAddr(r)
	if err != nil || !a.IsValid() {
		h.log.Debug().Err(err).Str("remote", r.RemoteAddr).Msg("no client address")
		return netip.Addr{}, failNoClientAddr
	}
	return a.Unmap().WithZone(""), nil
}

// admitRequest asks Config.Policy whether client may send r at all: its
// rate limit, then its URL path (a private tracker's key).
func (h *Handler) admitRequest(r *http.Request, client netip.Addr) *Failure {
	if h.policy == nil {
		return nil
	}
	if !h.policy.Allow(bittorrent.TransportHTTP, client) {
		return failRateLimited
	}
	return refusal(h.policy.Admit(bittorrent.TransportHTTP, client, "", r.URL.Path))
}

// authorize asks Config.Policy about an action of r on ih.
func (h *Handler) authorize(r *http.Request, a bittorrent.Action, ih bittorrent.InfoHash) error {
	if h.policy == nil {
		return nil
	}
	return h.policy.Authorize(bittorrent.TransportHTTP, a, ih, r.URL.Path)
}

// refusal is the failure for what Config.Policy refused: the error itself
// when it is a *Failure, else its text.
func refusal(err error) *Failure {
	if err == nil {
		return nil
	}
	var f *Failure
	if errors.As(err, &f) {
		return f
	}
	return denied(err)
}

// counters are cheap totals the composition root may export as metrics.
type counters struct {
	announces, scrapes, failures, unknownEvents, plusRetries, storeErrors atomic.Uint64
}

// Stats is a snapshot of a Handler's counters.
type Stats struct {
	Announces uint64 // announce requests served, failures included
	Scrapes   uint64 // scrape requests served, failures included
	Failures  uint64 // responses that carried a failure reason
	// UnknownEvents counts announces whose event was not one of the known
	// values and was treated as a regular update (docs/protocol.md §6.2).
	UnknownEvents uint64
	// PlusRetries counts info_hash values resolved through the '+' as
	// space retry (see doc.go).
	PlusRetries uint64
	StoreErrors uint64
}

// Stats returns the current counters.
func (h *Handler) Stats() Stats {
	return Stats{
		Announces:     h.stats.announces.Load(),
		Scrapes:       h.stats.scrapes.Load(),
		Failures:      h.stats.failures.Load(),
		UnknownEvents: h.stats.unknownEvents.Load(),
		PlusRetries:   h.stats.plusRetries.Load(),
		StoreErrors:   h.stats.storeErrors.Load(),
	}
}

// respond sends the response built in s.buf, or the failure f instead when
// there is one, and reports the request to the Observer.
func (h *Handler) respond(w http.ResponseWriter, s *scratch, f *Failure, action, event string, start time.Time) {
	if f != nil {
		h.stats.failures.Add(1)
		s.buf = appendFailure(s.buf[:0], f)
		h.obs.Failure(f.Code)
	}
	writeBody(w, s.buf)
	h.obs.Handled(action, event, time.Since(start))
}
