package db

import (
	"context"
	"database/sql"
	"strconv"
	"sync"
)

// notifyChannel is the PostgreSQL channel every change is announced on;
// the payload is the new version.
const notifyChannel = "swarmbridge_changes"

// write runs fn in a transaction. When fn reports a change, the version
// row is bumped in the same transaction (and, on PostgreSQL, a NOTIFY is
// queued, which the server sends only if the transaction commits), and
// after the commit this handle's watchers are woken.
func (d *DB) write(ctx context.Context, fn func(*sql.Tx) (changed bool, err error)) error {
	var changed bool
	err := d.inTx(ctx, nil, func(tx *sql.Tx) error {
		var err error
		if changed, err = fn(tx); err != nil || !changed {
			return err
		}
		var v int64
		if err := tx.QueryRowContext(ctx, `UPDATE swarmbridge_state SET version = version + 1 WHERE id = 1 RETURNING version`).Scan(&v); err != nil {
			return err
		}
		if d.dialect == postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, strconv.FormatInt(v, 10)); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && changed {
		d.changes.notify()
	}
	return err
}

// Version reads the change counter: it grows by one with every write to
// keys or the info hash list, on every node.
func (d *DB) Version(ctx context.Context) (int64, error) {
	var v int64
	err := d.sql.QueryRowContext(ctx, `SELECT version FROM swarmbridge_state WHERE id = 1`).Scan(&v)
	return v, err
}

// broadcaster wakes the watchers of one handle. A wake-up is a hint to
// read the version row, so a watcher that is already awake loses nothing
// when a send finds its channel full.
type broadcaster struct {
	mu   sync.Mutex
	subs map[chan<- struct{}]struct{}
}

// subscribe adds ch (which should have a buffer of one) until cancel is
// called.
func (b *broadcaster) subscribe(ch chan<- struct{}) (cancel func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = map[chan<- struct{}]struct{}{}
	}
	b.subs[ch] = struct{}{}
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs, ch)
	}
}

func (b *broadcaster) notify() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		wake(ch)
	}
}

// wake sends on ch without blocking.
func wake(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
