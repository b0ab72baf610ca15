package memory

import (
	"context"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// ScrapeAll calls fn with the counts of every live swarm, one shard at a
// time, until fn returns false or ctx ends. fn runs without any lock held:
// each shard's counts are copied out first, so a slow caller (one writing a
// big HTTP response) never stalls announces.
func (st *Store) ScrapeAll(ctx context.Context, fn func(bittorrent.InfoHash, bittorrent.Counts) bool) error {
	type row struct {
		ih bittorrent.InfoHash
		c  bittorrent.Counts
	}
	var rows []row
	for i := range st.shards {
		if err := ctx.Err(); err != nil {
			return err
		}
		sh := &st.shards[i]
		now := st.now().UnixNano()
		rows = rows[:0]
		sh.mu.Lock()
		for ih, s := range sh.swarms {
			sh.expire(s, now)
			if sh.dropIfEmpty(ih, s) {
				continue
			}
			rows = append(rows, row{ih, s.counts()})
		}
		sh.mu.Unlock()
		for _, r := range rows {
			if !fn(r.ih, r.c) {
				return nil
			}
		}
	}
	return nil
}
