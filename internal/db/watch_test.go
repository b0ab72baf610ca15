package db

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/logbuf"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/internal/access"
	"github.com/swarmbridge/swarmbridge/internal/testkit/dbtest"
)

// watcher runs d.Watch for the test and hands out what it delivers.
type watcher struct {
	snaps chan Snapshot
	stop  func()
}

func startWatch(t *testing.T, d *DB, since int64) *watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{snaps: make(chan Snapshot, 100)}
	done := make(chan error, 1)
	go func() { done <- d.Watch(ctx, since, func(s Snapshot) { w.snaps <- s }) }()
	w.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Watch returned %v", err)
		}
	}
	t.Cleanup(w.stop)
	return w
}

// next waits for a snapshot that satisfies ok, failing after a while.
func (w *watcher) next(t *testing.T, what string, ok func(Snapshot) bool) Snapshot {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case s := <-w.snaps:
			if ok(s) {
				return s
			}
		case <-deadline:
			t.Fatalf("no snapshot with %s", what)
		}
	}
}

// none checks that nothing is delivered for a moment.
func (w *watcher) none(t *testing.T, why string) {
	t.Helper()
	select {
	case s := <-w.snaps:
		t.Fatalf("%s, yet a snapshot came: version %d", why, s.Version)
	case <-time.After(200 * time.Millisecond):
	}
}

// Writes through a handle reach its own watchers at once, with no poll
// (the interval is an hour).
func TestWatchDeliversOwnChanges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := testCtx(t)
		d := openDB(t, url, WithPollInterval(time.Hour))
		w := startWatch(t, d, -1)
		first := w.next(t, "the current state", func(Snapshot) bool { return true })
		if first.Version != 0 || len(first.Keys) != 0 || len(first.Hashes) != 0 {
			t.Fatalf("fresh database: %+v", first)
		}

		k, err := d.CreateKey(ctx, NewKey{Note: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		w.next(t, "the new key", func(s Snapshot) bool { _, ok := s.Keys[k.Key]; return ok })
		if _, err := d.AddInfoHashes(ctx, [][20]byte{ih(7)}, ""); err != nil {
			t.Fatal(err)
		}
		s := w.next(t, "the new hash", func(s Snapshot) bool { _, ok := s.Hashes[ih(7)]; return ok })
		if _, ok := s.Keys[k.Key]; !ok {
			t.Fatal("the key vanished from a later snapshot")
		}
		if err := d.DeleteKey(ctx, k.Key); err != nil {
			t.Fatal(err)
		}
		w.next(t, "the key gone", func(s Snapshot) bool { _, ok := s.Keys[k.Key]; return !ok })
		// A write that changes nothing wakes nobody.
		if _, err := d.AddInfoHashes(ctx, [][20]byte{ih(7)}, ""); err != nil {
			t.Fatal(err)
		}
		w.none(t, "nothing changed")
	})
}

// A watcher that starts from a snapshot already applied gets nothing
// until something changes.
func TestWatchSince(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := testCtx(t)
		d := openDB(t, url, WithPollInterval(time.Hour))
		if _, err := d.CreateKey(ctx, NewKey{}); err != nil {
			t.Fatal(err)
		}
		s, err := d.Snapshot(ctx)
		if err != nil || s.Version != 1 || len(s.Keys) != 1 {
			t.Fatalf("snapshot %+v, %v", s, err)
		}
		w := startWatch(t, d, s.Version)
		w.none(t, "nothing changed since the snapshot")
		if _, err := d.CreateKey(ctx, NewKey{}); err != nil {
			t.Fatal(err)
		}
		w.next(t, "version 2", func(s Snapshot) bool { return s.Version == 2 && len(s.Keys) == 2 })
	})
}

// Another node's writes reach a watcher: on PostgreSQL through
// LISTEN/NOTIFY (the poll interval is an hour), on SQLite (another
// process on the same file) through the poll.
func TestWatchSeesOtherNodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := testCtx(t)
		poll := time.Hour
		if strings.HasPrefix(url, "sqlite") {
			poll = 50 * time.Millisecond
		}
		a := openDB(t, url, WithPollInterval(poll))
		b := openDB(t, url)
		w := startWatch(t, a, -1)
		w.next(t, "the current state", func(Snapshot) bool { return true })
		waitListening(t, a, url)

		k, err := b.CreateKey(ctx, NewKey{})
		if err != nil {
			t.Fatal(err)
		}
		w.next(t, "the other node's key", func(s Snapshot) bool { _, ok := s.Keys[k.Key]; return ok })
		if err := b.DeleteKey(ctx, k.Key); err != nil {
			t.Fatal(err)
		}
		w.next(t, "the other node's delete", func(s Snapshot) bool { return len(s.Keys) == 0 })
	})
}

// waitListening waits until a's listener holds a connection that LISTENs
// (PostgreSQL only).
func waitListening(t *testing.T, a *DB, url string) {
	t.Helper()
	if a.dialect != postgres {
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		err := a.sql.QueryRowContext(testCtx(t), `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database() AND query LIKE 'LISTEN%'`, listenerAppName).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the listener never connected")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// When the listener's connection dies, it reconnects with backoff and
// reads the version again, so a change made while nobody listened is not
// lost; notifications flow again after.
func TestListenerReconnects(t *testing.T) {
	url := dbtest.Postgres(t)
	ctx := testCtx(t)
	var logs logbuf.Buffer
	a := openDB(t, url, WithPollInterval(time.Hour), withReconnectDelay(100*time.Millisecond), WithLogger(zerolog.New(&logs)))
	b := openDB(t, url)
	w := startWatch(t, a, -1)
	w.next(t, "the current state", func(Snapshot) bool { return true })

	for round := range 2 {
		waitListening(t, a, url)
		dbtest.Exec(t, url, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, listenerAppName)
		// Written while the listener is down: its NOTIFY reaches nobody.
		k, err := b.CreateKey(ctx, NewKey{})
		if err != nil {
			t.Fatal(err)
		}
		w.next(t, "the key written during the outage", func(s Snapshot) bool { _, ok := s.Keys[k.Key]; return ok })
		// And once reconnected, notifications arrive again.
		waitListening(t, a, url)
		if _, err := b.AddInfoHashes(ctx, [][20]byte{ih(byte(round))}, ""); err != nil {
			t.Fatal(err)
		}
		w.next(t, "the hash written after reconnecting", func(s Snapshot) bool { _, ok := s.Hashes[ih(byte(round))]; return ok })
	}
	if !strings.Contains(logs.String(), "change listener disconnected") {
		t.Errorf("the disconnect was not logged:\n%s", logs.String())
	}
}

// A snapshot that cannot be read leaves the watcher's previous one in
// force (fn is not called), is logged once, and the next good read is
// delivered.
func TestWatchSurvivesFailedReads(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := testCtx(t)
		var logs logbuf.Buffer
		d := openDB(t, url, WithPollInterval(30*time.Millisecond), WithLogger(zerolog.New(&logs)))
		w := startWatch(t, d, -1)
		w.next(t, "the current state", func(Snapshot) bool { return true })

		if _, err := d.sql.ExecContext(ctx, `ALTER TABLE info_hashes RENAME TO info_hashes_away`); err != nil {
			t.Fatal(err)
		}
		if _, err := d.CreateKey(ctx, NewKey{Key: "during-outage-1"}); err != nil {
			t.Fatal(err)
		}
		w.none(t, "the list cannot be read")
		time.Sleep(100 * time.Millisecond) // a few more polls
		if n := strings.Count(logs.String(), "cannot refresh"); n != 1 {
			t.Fatalf("failure logged %d times:\n%s", n, logs.String())
		}
		if _, err := d.sql.ExecContext(ctx, `ALTER TABLE info_hashes_away RENAME TO info_hashes`); err != nil {
			t.Fatal(err)
		}
		w.next(t, "the key", func(s Snapshot) bool { _, ok := s.Keys["during-outage-1"]; return ok })
		if !strings.Contains(logs.String(), "refreshed again") {
			t.Fatalf("recovery not logged:\n%s", logs.String())
		}
	})
}

// A key made with a TTL works until the instant it expires and not from
// then on, on every transport's check, with no new snapshot: the check
// itself compares the expiry with the clock. Later snapshots leave it out.
func TestKeyExpiresWithoutARefresh(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := testCtx(t)
		clock := newClock()
		d := openDB(t, url, WithClock(clock.Now), WithPollInterval(time.Hour))
		temp, err := d.CreateKey(ctx, NewKey{TTL: 12 * time.Hour, Note: "trial"})
		if err != nil {
			t.Fatal(err)
		}
		perm, err := d.CreateKey(ctx, NewKey{Note: "staff"})
		if err != nil {
			t.Fatal(err)
		}

		keys := access.NewKeys(clock.Now)
		control := &access.Control{Keys: keys}
		w := startWatch(t, d, -1)
		snap := w.next(t, "both keys", func(s Snapshot) bool { return len(s.Keys) == 2 })
		snap.ApplyTo(keys, nil)
		check := func(key string, want error) {
			t.Helper()
			if err := control.CheckPath("/announce/" + key); err != want { // WebSocket, HTTP
				t.Errorf("at +%v: CheckPath: %v, want %v", clock.Now().Sub(epoch), err, want)
			}
			if err := control.CheckURLData([]byte("/" + key + "/announce")); err != want { // UDP
				t.Errorf("at +%v: CheckURLData: %v, want %v", clock.Now().Sub(epoch), err, want)
			}
		}
		check(temp.Key, nil)
		clock.Advance(12*time.Hour - time.Second)
		check(temp.Key, nil)
		clock.Advance(time.Second)
		check(temp.Key, access.ErrUnknownKey)
		check(perm.Key, nil)
		w.none(t, "expiry needs no refresh")

		s, err := d.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := s.Keys[temp.Key]; ok || len(s.Keys) != 1 {
			t.Fatalf("a snapshot taken after the expiry holds %v", s.Keys)
		}
		// Still listed for the operator, marked expired.
		if k, err := d.Key(ctx, temp.Key); err != nil || !k.Expired(clock.Now()) {
			t.Fatalf("expired key: %+v, %v", k, err)
		}
	})
}
