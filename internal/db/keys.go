package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/swarmbridge/swarmbridge/internal/access"
)

// Page sizes: List calls return at most MaxPage rows, DefaultPage when
// asked for none (limit 0).
const (
	DefaultPage = 100
	MaxPage     = 1000
)

// MaxNoteLen bounds the note on a key or info hash, in bytes.
const MaxNoteLen = 256

// MaxTTL bounds a key's time to live, so expiries stay far from the
// limits of the time arithmetic.
const MaxTTL = 100 * 365 * 24 * time.Hour

// Key is a private tracker key.
type Key struct {
	Key       string
	Note      string
	CreatedAt time.Time
	// ExpiresAt is the zero Time for a key that never expires.
	ExpiresAt time.Time
}

// Expired reports whether the key no longer works at now.
func (k Key) Expired(now time.Time) bool { return !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt) }

// NewKey describes a key to create.
type NewKey struct {
	// Key is the key to store; empty means generate a random one (see
	// access.GenerateKey), which is what operators should want.
	Key string
	// Note says whose key it is, for the operator.
	Note string
	// TTL is how long the key works from now; 0 means forever.
	TTL time.Duration
}

func checkNote(note string) error {
	if len(note) > MaxNoteLen || !utf8.ValidString(note) || strings.ContainsFunc(note, isControl) {
		return fmt.Errorf("%w: a note is at most %d bytes of UTF-8 text without control characters", ErrInvalid, MaxNoteLen)
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func checkKey(key string) error {
	if !access.ValidKey(key) {
		return fmt.Errorf("%w: a key is %d to %d characters from A-Z a-z 0-9 - . _ ~, and not \"announce\" or \"scrape\"", ErrInvalid, access.MinKeyLen, access.MaxKeyLen)
	}
	return nil
}

// limitPage clamps a page size to 1..MaxPage, 0 meaning DefaultPage.
func limitPage(limit int) int {
	switch {
	case limit <= 0:
		return DefaultPage
	case limit > MaxPage:
		return MaxPage
	}
	return limit
}

// CreateKey stores a new key and returns it. A given key that is taken
// fails with ErrExists; a malformed one, a bad note or TTL with
// ErrInvalid.
func (d *DB) CreateKey(ctx context.Context, nk NewKey) (Key, error) {
	if nk.Key == "" {
		nk.Key = access.GenerateKey()
	}
	if err := checkKey(nk.Key); err != nil {
		return Key{}, err
	}
	if err := checkNote(nk.Note); err != nil {
		return Key{}, err
	}
	if nk.TTL < 0 || nk.TTL > MaxTTL {
		return Key{}, fmt.Errorf("%w: a time to live is positive and at most 100 years", ErrInvalid)
	}
	exact := d.opts.now().UTC()
	k := Key{Key: nk.Key, Note: nk.Note, CreatedAt: exact.Truncate(time.Second)}
	var expires sql.NullInt64
	if nk.TTL > 0 {
		// Rounded up to the schema's whole seconds from the exact time,
		// not the truncated creation time, so a key never expires before
		// its TTL has passed (a 2s key made at .9 would otherwise get 1.1s).
		k.ExpiresAt = exact.Add(nk.TTL + time.Second - 1).Truncate(time.Second)
		expires = sql.NullInt64{Int64: unix(k.ExpiresAt), Valid: true}
	}
	err := d.write(ctx, func(tx *sql.Tx) (bool, error) {
		res, err := tx.ExecContext(ctx, `INSERT INTO access_keys (key, note, created_at, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING`,
			k.Key, k.Note, unix(k.CreatedAt), expires)
		if err != nil {
			return false, err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return false, errors.Join(ErrExists, err)
		}
		return true, nil
	})
	if err != nil {
		return Key{}, fmt.Errorf("creating a key: %w", err)
	}
	return k, nil
}

// ImportKeys stores keys that never expire, all with the same note, and
// reports how many were new; keys already stored are left as they are.
// Every key is checked before any is stored.
func (d *DB) ImportKeys(ctx context.Context, keys []string, note string) (added int, err error) {
	for i, k := range keys {
		if err := checkKey(k); err != nil {
			return 0, fmt.Errorf("key %d of %d: %w", i+1, len(keys), err)
		}
	}
	if err := checkNote(note); err != nil {
		return 0, err
	}
	now := unix(d.opts.now())
	err = d.write(ctx, func(tx *sql.Tx) (bool, error) {
		added, err = insertNewRows(ctx, tx, "access_keys", "key, note, created_at", "key", keys, note, now)
		return added > 0, err
	})
	if err != nil {
		return 0, fmt.Errorf("importing keys: %w", err)
	}
	return added, nil
}

// Key reads one key; ErrNotFound if it is not stored.
func (d *DB) Key(ctx context.Context, key string) (Key, error) {
	row := d.sql.QueryRowContext(ctx, `SELECT key, note, created_at, expires_at FROM access_keys WHERE key = $1`, key)
	k, err := scanKey(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, ErrNotFound
	}
	if err != nil {
		return Key{}, fmt.Errorf("reading a key: %w", err)
	}
	return k, nil
}

// Keys lists stored keys in byte order, starting after the key after
// (empty: from the first), at most limit of them (see limitPage). Expired
// keys are listed too, until deleted.
func (d *DB) Keys(ctx context.Context, after string, limit int) ([]Key, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT key, note, created_at, expires_at FROM access_keys WHERE key > $1 ORDER BY key LIMIT $2`, after, limitPage(limit))
	if err != nil {
		return nil, fmt.Errorf("listing keys: %w", err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("listing keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing keys: %w", err)
	}
	return out, nil
}

// DeleteKey removes a key; ErrNotFound if it was not stored. Trackers
// stop accepting it as soon as their snapshot refreshes.
func (d *DB) DeleteKey(ctx context.Context, key string) error {
	err := d.write(ctx, func(tx *sql.Tx) (bool, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM access_keys WHERE key = $1`, key)
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
		return fmt.Errorf("deleting a key: %w", err)
	}
	return err
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

func scanKey(s scanner) (Key, error) {
	var k Key
	var created int64
	var expires sql.NullInt64
	if err := s.Scan(&k.Key, &k.Note, &created, &expires); err != nil {
		return Key{}, err
	}
	k.CreatedAt = fromUnix(created)
	if expires.Valid {
		k.ExpiresAt = fromUnix(expires.Int64)
	}
	return k, nil
}
