package db

import (
	"context"
	"sync"
	"time"
)

// Watch keeps fn supplied with fresh snapshots until ctx ends, then
// returns nil. fn gets a Snapshot whenever the version differs from the
// one it last got, starting from since: pass the Version of a snapshot
// already applied, or -1 to have the current one delivered at once. fn is
// called from Watch's goroutine, one call at a time.
//
// Watch wakes up on its own handle's writes, on PostgreSQL notifications
// from every node (through a dedicated connection that reconnects with
// backoff and rechecks the version after each reconnect, since
// notifications sent meanwhile are lost), and every poll interval. A
// snapshot that fails to load is logged and retried at the next wake-up;
// the tracker keeps the previous one meanwhile.
func (d *DB) Watch(ctx context.Context, since int64, fn func(Snapshot)) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	wakeups := make(chan struct{}, 1)
	wakeups <- struct{}{} // look right away
	defer d.changes.subscribe(wakeups)()
	if d.dialect == postgres {
		wg.Go(func() { d.listen(ctx, wakeups) })
	}
	poll := time.NewTicker(d.opts.poll)
	defer poll.Stop()

	failing := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-wakeups:
		case <-poll.C:
		}
		v, err := d.Version(ctx)
		if err == nil && v == since {
			continue
		}
		var snap Snapshot
		if err == nil {
			snap, err = d.Snapshot(ctx)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if !failing {
				d.opts.log.Error().Err(err).Str("database", d.where).Msg("cannot refresh keys and info hashes; the previous ones stay in force")
			}
			failing = true
			continue
		}
		if failing {
			d.opts.log.Info().Str("database", d.where).Msg("keys and info hashes refreshed again")
			failing = false
		}
		since = snap.Version
		fn(snap)
	}
}
