package httptracker

import (
	"net/http"
	"strings"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// scrapeEntry is one row of the "files" dict.
type scrapeEntry struct {
	hash   bittorrent.InfoHash
	counts bittorrent.Counts
}

func entryKey(e scrapeEntry) [20]byte { return e.hash }

// ServeScrape answers a BEP 48 scrape.
func (h *Handler) ServeScrape(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	h.stats.scrapes.Add(1)
	s := h.getScratch()
	defer h.putScratch(s)
	var f *Failure
	s.buf, f = h.scrape(r, s, s.buf[:0])
	h.respond(w, s, f, "scrape", "", start)
}

func (h *Handler) scrape(r *http.Request, s *scratch, b []byte) ([]byte, *Failure) {
	q := r.URL.RawQuery
	if len(q) > h.maxScrapeQuery {
		return b, failQueryTooLong
	}
	if h.policy != nil {
		client, f := h.clientAddress(r)
		if f != nil {
			return b, f
		}
		if f := h.admitRequest(r, client); f != nil {
			return b, f
		}
	}
	if f := parseScrape(q, h.maxScrape, s); f != nil {
		return b, f
	}
	ctx := r.Context()
	if len(s.hashes) == 0 {
		return h.fullScrape(r, s, b)
	}

	// Ask for the requested hashes and, behind them, the '+'-as-space form
	// of each hash that had a raw '+', in one store call.
	n := len(s.hashes)
	s.hashes = append(s.hashes, s.plusHashes...)
	counts, err := h.store.Scrape(ctx, s.hashes, s.counts[:0])
	s.counts = counts
	if err != nil {
		return b, h.storeFailure(ctx, "scrape", err)
	}
	if len(counts) != len(s.hashes) {
		h.log.Error().Int("want", len(s.hashes)).Int("got", len(counts)).Msg("swarm store scrape returned wrong count")
		return b, failInternal
	}
	if h.policy != nil {
		// Refused torrents look like unknown ones: zeros.
		for i := range counts {
			if h.authorize(r, bittorrent.ActionScrape, s.hashes[i]) != nil {
				counts[i] = bittorrent.Counts{}
			}
		}
	}
	s.entries = s.entries[:0]
	for i := range n {
		s.entries = append(s.entries, scrapeEntry{hash: s.hashes[i], counts: counts[i]})
	}
	for k, i := range s.plusIdx {
		alt := n + k
		switch {
		case swarmExists(counts[i]):
			// The literal form names a swarm: it is what was meant.
		case swarmExists(counts[alt]):
			h.stats.plusRetries.Add(1)
			// Report under the hash the client meant, which is the one
			// it will look up in "files".
			s.entries[i] = scrapeEntry{hash: s.hashes[alt], counts: counts[alt]}
		default:
			// Neither exists: answer zeros under both forms, so the
			// client finds its hash whichever it meant (libtorrent
			// treats a missing hash as an error).
			s.entries = append(s.entries, scrapeEntry{hash: s.hashes[alt]})
		}
	}
	return h.appendScrape(b, s.entries), nil
}

// appendScrape writes d5:filesd<20-byte hash>d8:complete..10:downloaded..
// 10:incomplete..e...e5:flagsd20:min_request_intervali..eee with the files
// keys sorted and unique.
func (h *Handler) appendScrape(b []byte, entries []scrapeEntry) []byte {
	entries = sortUnique20(entries, entryKey)
	b = appendDictStart(b)
	b = appendString(b, "files")
	b = appendDictStart(b)
	for i := range entries {
		e := &entries[i]
		b = appendString(b, e.hash[:])
		b = appendDictStart(b)
		b = appendKeyInt(b, "complete", int64(e.counts.Complete))
		b = appendKeyInt(b, "downloaded", int64(e.counts.Downloaded))
		b = appendKeyInt(b, "incomplete", int64(e.counts.Incomplete))
		b = appendEnd(b)
	}
	b = appendEnd(b)
	b = appendString(b, "flags")
	b = appendDictStart(b)
	b = appendKeyInt(b, "min_request_interval", h.minIntervalSec)
	b = appendEnd(b)
	return appendEnd(b)
}

// parseScrape collects every info_hash of q into s.hashes; for those whose
// raw value had a '+' it records the position in s.plusIdx and the
// '+'-as-space form in s.plusHashes. Other parameters are ignored once
// their escapes check out.
func parseScrape(q string, max int, s *scratch) *Failure {
	s.hashes = s.hashes[:0]
	s.plusIdx = s.plusIdx[:0]
	s.plusHashes = s.plusHashes[:0]
	for q != "" {
		var rawKey, rawVal string
		rawKey, rawVal, q = nextParam(q)
		var kb [maxKeyLen]byte
		key, f := decodeKey(&kb, rawKey)
		if f != nil {
			return f
		}
		if string(key) != "info_hash" {
			if _, f := decodeInto(nil, rawVal, false); f != nil {
				return f
			}
			continue
		}
		if len(s.hashes) == max {
			return failTooManyHashes
		}
		var ih bittorrent.InfoHash
		if f := decodeID((*[20]byte)(&ih), rawVal, false, failInvalidInfoHash); f != nil {
			return f
		}
		if strings.IndexByte(rawVal, '+') >= 0 {
			var spaced bittorrent.InfoHash
			// Cannot fail: same escapes and length as above.
			_ = decodeID((*[20]byte)(&spaced), rawVal, true, failInvalidInfoHash)
			s.plusIdx = append(s.plusIdx, len(s.hashes))
			s.plusHashes = append(s.plusHashes, spaced)
		}
		s.hashes = append(s.hashes, ih)
	}
	return nil
}
