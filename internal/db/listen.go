package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// listenerAppName marks the listener's connection in pg_stat_activity.
const listenerAppName = "swarmbridge-listener"

// maxReconnectDelay caps the listener's backoff.
const maxReconnectDelay = 30 * time.Second

// listen holds a PostgreSQL connection that LISTENs on notifyChannel and
// wakes the watcher for every notification, reconnecting with
// exponential backoff until ctx ends. After each (re)connect it wakes the
// watcher too: whatever was notified while no connection listened is
// lost, so the version has to be read again.
func (d *DB) listen(ctx context.Context, wakeups chan<- struct{}) {
	delay := d.opts.reconnectDelay
	for {
		err := d.listenOnce(ctx, wakeups, func() { delay = d.opts.reconnectDelay })
		if ctx.Err() != nil {
			return
		}
		d.opts.log.Warn().Err(err).Str("database", d.where).Dur("retry_in", delay).
			Msg("change listener disconnected; polling meanwhile")
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		delay = min(2*delay, maxReconnectDelay)
	}
}

// listenOnce runs one listening connection until it fails or ctx ends.
func (d *DB) listenOnce(ctx context.Context, wakeups chan<- struct{}, connected func()) error {
	cfg := d.pgConfig.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = listenerAppName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connecting: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return fmt.Errorf("LISTEN: %w", err)
	}
	connected()
	wake(wakeups)
	for {
		// A connection whose peer vanished without a word (a dead
		// network path) would wait forever, so every poll interval
		// without news it proves it is alive with a ping.
		wctx, cancel := context.WithTimeout(ctx, d.opts.poll)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			wake(wakeups)
		case ctx.Err() != nil:
			return ctx.Err()
		case wctx.Err() != nil:
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return fmt.Errorf("ping: %w", err)
			}
		default:
			return err
		}
	}
}
