package httptracker

import (
	"net/http"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// fullScrape answers a scrape without info_hash: a failure unless full
// scrapes are enabled (docs/protocol.md §10.5: refused by default, since
// the answer grows with the tracker and lists every swarm).
func (h *Handler) fullScrape(r *http.Request, s *scratch, b []byte) ([]byte, *Failure) {
	if h.full == nil {
		return b, failFullScrape
	}
	ctx := r.Context()
	s.entries = s.entries[:0]
	err := h.full.ScrapeAll(ctx, func(ih bittorrent.InfoHash, c bittorrent.Counts) bool {
		if h.authorize(r, bittorrent.ActionScrape, ih) != nil {
			return true
		}
		s.entries = append(s.entries, scrapeEntry{hash: ih, counts: c})
		return true
	})
	if err != nil {
		if f := h.storeFailure(ctx, "scrape all", err); f != failInternal {
			return b, f // the store chose what to tell the client
		}
		return b, failFullScrapeAborted
	}
	return h.appendScrape(b, s.entries), nil
}
