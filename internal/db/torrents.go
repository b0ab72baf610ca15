package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// TorrentStat is what the database keeps about a torrent beyond the life
// of its swarm.
type TorrentStat struct {
	// Downloaded counts completed downloads, over every node.
	Downloaded int64
	// FirstSeen is when a tracker first recorded the torrent.
	FirstSeen time.Time
}

// TorrentStats reads the stats of every recorded torrent (a tracker loads
// them once at start-up; see NewTally).
func (d *DB) TorrentStats(ctx context.Context) (map[[20]byte]TorrentStat, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT info_hash, downloaded, first_seen FROM torrent_stats`)
	if err != nil {
		return nil, fmt.Errorf("reading torrent stats: %w", err)
	}
	defer rows.Close()
	out := map[[20]byte]TorrentStat{}
	for rows.Next() {
		var h string
		var st TorrentStat
		var first int64
		if err := rows.Scan(&h, &st.Downloaded, &first); err != nil {
			return nil, fmt.Errorf("reading torrent stats: %w", err)
		}
		ih, err := parseHexHash(h)
		if err != nil {
			return nil, fmt.Errorf("reading torrent stats: stored value %q: %w", h, err)
		}
		st.FirstSeen = fromUnix(first)
		out[ih] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading torrent stats: %w", err)
	}
	return out, nil
}

// TorrentStat reads one torrent's stats; ErrNotFound if it was never
// recorded.
func (d *DB) TorrentStat(ctx context.Context, ih [20]byte) (TorrentStat, error) {
	var st TorrentStat
	var first int64
	err := d.sql.QueryRowContext(ctx, `SELECT downloaded, first_seen FROM torrent_stats WHERE info_hash = $1`, hexHash(ih)).Scan(&st.Downloaded, &first)
	if errors.Is(err, sql.ErrNoRows) {
		return TorrentStat{}, ErrNotFound
	}
	if err != nil {
		return TorrentStat{}, fmt.Errorf("reading torrent stats: %w", err)
	}
	st.FirstSeen = fromUnix(first)
	return st, nil
}

// TorrentDelta is what one node adds to a torrent's stats in one flush:
// more downloads, and the time it first saw the torrent (the earliest
// first-seen time of all nodes is kept).
type TorrentDelta struct {
	Downloaded int64
	FirstSeen  time.Time
}

// AddTorrentStats adds deltas to the stored stats in one transaction, a
// few hundred torrents per statement.
func (d *DB) AddTorrentStats(ctx context.Context, deltas map[[20]byte]TorrentDelta) error {
	if len(deltas) == 0 {
		return nil
	}
	earliest := "LEAST(torrent_stats.first_seen, excluded.first_seen)"
	if d.dialect == sqlite {
		earliest = "MIN(torrent_stats.first_seen, excluded.first_seen)" // SQLite's scalar min
	}
	hashes := slices.SortedFunc(maps.Keys(deltas), func(a, b [20]byte) int { return slices.Compare(a[:], b[:]) })
	for _, ih := range hashes {
		if deltas[ih].Downloaded < 0 {
			return fmt.Errorf("adding torrent stats: %w: negative download count for %x", ErrInvalid, ih)
		}
	}
	// Sorted, so two nodes flushing at once lock rows in the same order
	// and cannot deadlock.
	err := d.inTx(ctx, nil, func(tx *sql.Tx) error {
		for chunk := range slices.Chunk(hashes, insertChunk) {
			q, args := valuesInsert(`INSERT INTO torrent_stats (info_hash, downloaded, first_seen) VALUES `, len(chunk), 3,
				` ON CONFLICT (info_hash) DO UPDATE SET downloaded = torrent_stats.downloaded + excluded.downloaded, first_seen = `+earliest)
			for _, ih := range chunk {
				args = append(args, hexHash(ih), deltas[ih].Downloaded, unix(deltas[ih].FirstSeen))
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("adding torrent stats: %w", err)
	}
	return nil
}
