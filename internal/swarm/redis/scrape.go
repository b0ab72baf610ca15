package redis

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/swarmbridge/swarmbridge/bittorrent"

	"github.com/redis/rueidis"

	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// Scrape implements swarm.Store: one script call per hash, all sent in
// one round trip per Redis node. It appends to dst.
func (st *Store) Scrape(ctx context.Context, hashes []bittorrent.InfoHash, dst []bittorrent.Counts) ([]bittorrent.Counts, error) {
	if len(hashes) == 0 {
		return dst, nil
	}
	args := []string{"s", fmtInt(st.nowMS()), st.graceMS, strconv.Itoa(sweepPerCall)}
	execs := make([]rueidis.LuaExec, len(hashes))
	for i, ih := range hashes {
		execs[i] = rueidis.LuaExec{Keys: st.swarmKeys(ih), Args: args}
	}
	ctx, cancel := st.opContext(ctx)
	defer cancel()
	for i, r := range st.execMulti(ctx, execs) {
		reply, err := r.ToArray()
		if err != nil {
			return dst, fmt.Errorf("redis store: scrape %v: %w", hashes[i], err)
		}
		c, err := countsOf(reply)
		if err != nil {
			return dst, fmt.Errorf("redis store: scrape %v: %w", hashes[i], err)
		}
		dst = append(dst, c)
	}
	return dst, nil
}

// countsOf reads the script's seeders, leechers, downloaded.
func countsOf(reply []rueidis.RedisMessage) (bittorrent.Counts, error) {
	if len(reply) != 3 {
		return bittorrent.Counts{}, fmt.Errorf("%w: %d counts", errReply, len(reply))
	}
	var v [3]int64
	for i := range v {
		var err error
		if v[i], err = reply[i].AsInt64(); err != nil {
			return bittorrent.Counts{}, fmt.Errorf("%w: %w", errReply, err)
		}
	}
	return bittorrent.Counts{Complete: int(v[0]), Incomplete: int(v[1]), Downloaded: int(v[2])}, nil
}

// Totals implements swarm.Store. It reads the counters each bucket keeps
// (one script call per bucket, Buckets calls in one round trip per node),
// so its cost does not grow with the number of swarms or peers. Each call
// also sweeps a few due swarms of every bucket. Entries that expired in
// swarms no script has touched since are still counted, as in the memory
// store.
func (st *Store) Totals(ctx context.Context) (swarm.Totals, error) {
	args := []string{"t", fmtInt(st.nowMS()), st.graceMS, strconv.Itoa(sweepPerTotals)}
	execs := make([]rueidis.LuaExec, Buckets)
	for b := range execs {
		execs[b] = rueidis.LuaExec{Keys: st.bucketKeys(b), Args: args}
	}
	ctx, cancel := st.opContext(ctx)
	defer cancel()
	var swarms, seeders, webrtc, native int64
	var clients [swarm.NumClients]int64
	for b, r := range st.execMulti(ctx, execs) {
		reply, err := r.ToArray()
		if err == nil && len(reply) != 2 {
			err = fmt.Errorf("%w: %d values", errReply, len(reply))
		}
		if err != nil {
			return swarm.Totals{}, fmt.Errorf("redis store: totals of bucket %d: %w", b, err)
		}
		n, err := reply[0].AsInt64()
		if err != nil {
			return swarm.Totals{}, fmt.Errorf("redis store: totals of bucket %d: %w", b, err)
		}
		swarms += n
		fields, err := reply[1].AsStrSlice()
		if err != nil || len(fields)%2 != 0 {
			return swarm.Totals{}, fmt.Errorf("redis store: totals of bucket %d: %w", b, errReply)
		}
		for i := 0; i < len(fields); i += 2 {
			v, err := strconv.ParseInt(fields[i+1], 10, 64)
			if err != nil {
				return swarm.Totals{}, fmt.Errorf("redis store: totals of bucket %d: field %q: %w", b, fields[i], err)
			}
			switch f := fields[i]; {
			case f == "s":
				seeders += v
			case f == "w":
				webrtc += v
			case f == "n":
				native += v
			case strings.HasPrefix(f, "c"):
				if c, err := strconv.Atoi(f[1:]); err == nil && c >= 0 && c < int(swarm.NumClients) {
					clients[c] += v
				}
			}
		}
	}
	byClient := make(map[swarm.Client]int)
	for c, n := range clients {
		if n > 0 {
			byClient[swarm.Client(c)] = int(n)
		}
	}
	return swarm.Totals{
		Swarms:        int(swarms),
		Seeders:       int(seeders),
		Leechers:      int(webrtc + native - seeders),
		PeersByKind:   map[swarm.Kind]int{swarm.WebRTC: int(webrtc), swarm.Native: int(native)},
		PeersByClient: byClient,
	}, nil
}

// scrapeAllPage is how many registry members one ZSCAN asks for, and how
// many swarms one batch of ScrapeAll scrapes.
const scrapeAllPage = 512

// ScrapeAll calls fn with the counts of every live swarm, bucket by
// bucket, until fn returns false or ctx ends. It walks each bucket's
// registry with ZSCAN pages and scrapes what it finds in batches, so no
// Redis call handles more than a page; the whole walk is O(swarms), as a
// full scrape is. fn is called between Redis calls, never during one. A
// swarm created or deleted during the walk may or may not be listed; none
// is listed twice.
func (st *Store) ScrapeAll(ctx context.Context, fn func(bittorrent.InfoHash, bittorrent.Counts) bool) error {
	var hashes []bittorrent.InfoHash
	var counts []bittorrent.Counts
	for b := range Buckets {
		seen := make(map[bittorrent.InfoHash]struct{})
		cursor := uint64(0)
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			page, err := st.scanRegistry(ctx, b, cursor)
			if err != nil {
				return err
			}
			hashes = hashes[:0]
			for _, ih := range page.hashes {
				if _, dup := seen[ih]; !dup {
					seen[ih] = struct{}{}
					hashes = append(hashes, ih)
				}
			}
			if counts, err = st.Scrape(ctx, hashes, counts[:0]); err != nil {
				return err
			}
			for i, c := range counts {
				if c.Complete+c.Incomplete == 0 {
					continue // every entry had expired: the scrape deleted it
				}
				if !fn(hashes[i], c) {
					return nil
				}
			}
			if cursor = page.cursor; cursor == 0 {
				break
			}
		}
	}
	return nil
}

type registryPage struct {
	hashes []bittorrent.InfoHash
	cursor uint64
}

// scanRegistry reads one ZSCAN page of bucket b's registry.
func (st *Store) scanRegistry(ctx context.Context, b int, cursor uint64) (registryPage, error) {
	ctx, cancel := st.opContext(ctx)
	defer cancel()
	key := st.bucketKeys(b)[0]
	cmd := st.client.B().Zscan().Key(key).Cursor(cursor).Count(scrapeAllPage).Build()
	entry, err := st.client.Do(ctx, cmd).AsScanEntry()
	if err != nil {
		return registryPage{}, fmt.Errorf("redis store: full scrape of bucket %d: %w", b, err)
	}
	var p registryPage
	p.cursor = entry.Cursor
	// ZSCAN returns member, score, member, score...
	for i := 0; i+1 < len(entry.Elements); i += 2 {
		m := entry.Elements[i]
		if len(m) != len(bittorrent.InfoHash{}) {
			continue
		}
		p.hashes = append(p.hashes, bittorrent.InfoHash([]byte(m)))
	}
	return p, nil
}
