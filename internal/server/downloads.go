package server

import (
	"context"
	"errors"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/db"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// downloadTallyStore is the swarm store as the transports see it when a
// database keeps download counts. Each announce that the store says
// counted a download (swarm.AnnounceResult.CountedDownload) is added to
// the tally, which RunTally flushes to the database in batches.
//
// The counts it reports combine the two without counting anything twice:
// the tally holds the total stored at start-up plus every download this
// process's store counted since, so for the in-memory store it is never
// below the store's own count, which starts from zero at each start and
// again each time a swarm empties. With the Redis store several nodes
// share one swarm, and its count includes the downloads the other nodes
// counted (each node adds its own to the database), which this node's
// tally learns of only at its next start. The larger of the two is
// reported, so neither source is ever shown less than it knows.
type downloadTallyStore struct {
	swarm.Store
	tally *db.Tally
	// seen: remember every torrent announced, not only downloaded ones,
	// for its first-seen time. Only when who may announce is bounded (a
	// private tracker or an allow-list): on an open tracker anyone could
	// fill the tally, and the database, with made-up hashes.
	seen bool
}

// Announce implements swarm.Store.
func (c *downloadTallyStore) Announce(ctx context.Context, req *swarm.AnnounceRequest, res *swarm.AnnounceResult) error {
	if err := c.Store.Announce(ctx, req, res); err != nil {
		return err
	}
	ih := [20]byte(req.InfoHash)
	switch {
	case res.CountedDownload:
		c.tally.Completed(ih)
	case c.seen && req.Event != bittorrent.EventStopped:
		c.tally.Seen(ih)
	}
	res.Counts.Downloaded = c.downloaded(ih, res.Counts.Downloaded)
	return nil
}

// Scrape implements swarm.Store.
func (c *downloadTallyStore) Scrape(ctx context.Context, hashes []bittorrent.InfoHash, dst []bittorrent.Counts) ([]bittorrent.Counts, error) {
	start := len(dst)
	dst, err := c.Store.Scrape(ctx, hashes, dst)
	if err != nil {
		return dst, err
	}
	for i := range hashes {
		if start+i < len(dst) {
			dst[start+i].Downloaded = c.downloaded([20]byte(hashes[i]), dst[start+i].Downloaded)
		}
	}
	return dst, nil
}

// errNoFullScrape is ScrapeAll's error for a store that cannot list every
// swarm.
var errNoFullScrape = errors.New("the swarm store cannot list every swarm")

// ScrapeAll implements bittorrent.FullScraper when the store does.
func (c *downloadTallyStore) ScrapeAll(ctx context.Context, fn func(bittorrent.InfoHash, bittorrent.Counts) bool) error {
	all, ok := c.Store.(bittorrent.FullScraper)
	if !ok {
		return errNoFullScrape
	}
	return all.ScrapeAll(ctx, func(ih bittorrent.InfoHash, counts bittorrent.Counts) bool {
		counts.Downloaded = c.downloaded([20]byte(ih), counts.Downloaded)
		return fn(ih, counts)
	})
}

// downloaded is what is reported for a torrent whose store counts stored.
func (c *downloadTallyStore) downloaded(ih [20]byte, stored int) int {
	if st, ok := c.tally.Stat(ih); ok {
		return max(stored, int(st.Downloaded))
	}
	return stored
}

// MayBlock passes on whether the store under the tally waits on the
// network (Redis), so the transports keep their concurrent paths.
func (c *downloadTallyStore) MayBlock() bool { return swarm.MayBlock(c.Store) }
