package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/access"
)

// Snapshot is everything the tracker's access checks need, read in one
// transaction: the hot path consults it in memory and never waits for
// the database.
type Snapshot struct {
	// Version is the change counter the snapshot was read at.
	Version int64
	// Keys maps each key that has not expired to its expiry (the zero
	// Time for a permanent key). Keys expiring later are included: the
	// check at use (access.Keys) refuses them from their expiry on, so no
	// reload is needed at that instant.
	Keys map[string]time.Time
	// Hashes is the info hash list.
	Hashes map[[20]byte]struct{}
}

// ApplyTo swaps the snapshot into the sets the tracker checks; either may
// be nil (an open tracker has no keys, one without a list no hashes). The
// sets keep the snapshot's maps: do not change them afterwards.
func (s Snapshot) ApplyTo(keys *access.Keys, hashes *access.HashFilter) {
	if keys != nil {
		keys.Replace(s.Keys)
	}
	if hashes != nil {
		hashes.Replace(s.Hashes)
	}
}

// Snapshot reads the keys that still work and the info hash list.
func (d *DB) Snapshot(ctx context.Context) (Snapshot, error) {
	s := Snapshot{Keys: map[string]time.Time{}, Hashes: map[[20]byte]struct{}{}}
	opts := &sql.TxOptions{ReadOnly: true}
	if d.dialect == postgres {
		// One consistent view across the three queries.
		opts.Isolation = sql.LevelRepeatableRead
	}
	now := unix(d.opts.now())
	err := d.inTx(ctx, opts, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT version FROM swarmbridge_state WHERE id = 1`).Scan(&s.Version); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT key, expires_at FROM access_keys WHERE expires_at IS NULL OR expires_at > $1`, now)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var key string
			var exp sql.NullInt64
			if err := rows.Scan(&key, &exp); err != nil {
				return err
			}
			var t time.Time
			if exp.Valid {
				t = fromUnix(exp.Int64)
			}
			s.Keys[key] = t
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT info_hash FROM info_hashes`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				return err
			}
			ih, err := parseHexHash(h)
			if err != nil {
				return fmt.Errorf("stored info hash %q: %w", h, err)
			}
			s.Hashes[ih] = struct{}{}
		}
		return rows.Err()
	})
	if err != nil {
		return Snapshot{}, fmt.Errorf("database %s: reading keys and info hashes: %w", d.where, err)
	}
	return s, nil
}
