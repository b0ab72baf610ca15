package db

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// InfoHash is an entry of the info hash list. Whether the list allows or
// denies its torrents is the tracker's configuration, not the database's:
// the same as with list files, one setting picks the meaning.
type InfoHash struct {
	Hash    [20]byte
	Note    string
	AddedAt time.Time
}

// hexHash is the schema's form of an info hash: 40 lowercase hex digits.
func hexHash(ih [20]byte) string { return hex.EncodeToString(ih[:]) }

func parseHexHash(s string) ([20]byte, error) {
	var ih [20]byte
	if len(s) != 40 {
		return ih, fmt.Errorf("%w: an info hash is 40 hex digits", ErrInvalid)
	}
	if _, err := hex.Decode(ih[:], []byte(s)); err != nil {
		return ih, fmt.Errorf("%w: an info hash is 40 hex digits", ErrInvalid)
	}
	return ih, nil
}

// AddInfoHashes puts hashes on the list, all with the same note, and
// reports how many were new; hashes already listed keep their note.
func (d *DB) AddInfoHashes(ctx context.Context, hashes [][20]byte, note string) (added int, err error) {
	if err := checkNote(note); err != nil {
		return 0, err
	}
	hexes := make([]string, len(hashes))
	for i, ih := range hashes {
		hexes[i] = hexHash(ih)
	}
	now := unix(d.opts.now())
	err = d.write(ctx, func(tx *sql.Tx) (bool, error) {
		added, err = insertNewRows(ctx, tx, "info_hashes", "info_hash, note, added_at", "info_hash", hexes, note, now)
		return added > 0, err
	})
	if err != nil {
		return 0, fmt.Errorf("adding info hashes: %w", err)
	}
	return added, nil
}

// RemoveInfoHash takes a hash off the list; ErrNotFound if it was not on
// it.
func (d *DB) RemoveInfoHash(ctx context.Context, ih [20]byte) error {
	err := d.write(ctx, func(tx *sql.Tx) (bool, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM info_hashes WHERE info_hash = $1`, hexHash(ih))
		if err != nil {
			return false, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return false, err
		}
		if n == 0 {
			return false, ErrNotFound
		}
		return true, nil
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("removing an info hash: %w", err)
	}
	return err
}

// InfoHashes lists the list's entries in hash order, starting after the
// hash after (40 hex digits; empty: from the first), at most limit of
// them (0: DefaultPage; at most MaxPage).
func (d *DB) InfoHashes(ctx context.Context, after string, limit int) ([]InfoHash, error) {
	if after != "" {
		ih, err := parseHexHash(after)
		if err != nil {
			return nil, err
		}
		after = hexHash(ih) // lower case, as stored
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT info_hash, note, added_at FROM info_hashes WHERE info_hash > $1 ORDER BY info_hash LIMIT $2`, after, limitPage(limit))
	if err != nil {
		return nil, fmt.Errorf("listing info hashes: %w", err)
	}
	defer rows.Close()
	var out []InfoHash
	for rows.Next() {
		var h string
		var e InfoHash
		var added int64
		if err := rows.Scan(&h, &e.Note, &added); err != nil {
			return nil, fmt.Errorf("listing info hashes: %w", err)
		}
		if e.Hash, err = parseHexHash(h); err != nil {
			return nil, fmt.Errorf("listing info hashes: stored value %q: %w", h, err)
		}
		e.AddedAt = fromUnix(added)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing info hashes: %w", err)
	}
	return out, nil
}
