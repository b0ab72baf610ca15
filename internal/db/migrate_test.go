package db

import (
	"fmt"
	"strings"
	"testing"

	"github.com/swarmbridge/swarmbridge/internal/testkit/dbtest"
)

// Both dialects know the same schema versions, under the same names.
func TestMigrationsMatchAcrossDialects(t *testing.T) {
	lite, err := loadMigrations(sqlite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := loadMigrations(postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) || len(lite) != LatestVersion() || LatestVersion() < 2 {
		t.Fatalf("sqlite has %d migrations, postgres %d, LatestVersion %d", len(lite), len(pg), LatestVersion())
	}
	for i := range lite {
		if lite[i].version != pg[i].version || lite[i].name != pg[i].name {
			t.Errorf("migration %d: sqlite %d_%s, postgres %d_%s", i+1, lite[i].version, lite[i].name, pg[i].version, pg[i].name)
		}
	}
}

// A fresh database is brought to the latest version at Open; opening it
// again changes nothing.
func TestMigrateFreshDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := testCtx(t)
		d, err := Open(ctx, url, WithoutMigrate())
		if err != nil {
			t.Fatal(err)
		}
		if v, err := d.SchemaVersion(ctx); err != nil || v != 0 {
			t.Fatalf("empty database: version %d, %v", v, err)
		}
		from, to, err := d.Migrate(ctx)
		if err != nil || from != 0 || to != LatestVersion() {
			t.Fatalf("Migrate: %d → %d, %v; want 0 → %d", from, to, err, LatestVersion())
		}
		if from, to, err := d.Migrate(ctx); err != nil || from != to || to != LatestVersion() {
			t.Fatalf("second Migrate: %d → %d, %v", from, to, err)
		}
		d.Close()

		d = openDB(t, url)
		if v, err := d.SchemaVersion(ctx); err != nil || v != LatestVersion() {
			t.Fatalf("reopened: version %d, %v", v, err)
		}
		// Every table is usable.
		if _, err := d.CreateKey(ctx, NewKey{}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.AddInfoHashes(ctx, [][20]byte{ih(1)}, ""); err != nil {
			t.Fatal(err)
		}
		if err := d.AddTorrentStats(ctx, map[[20]byte]TorrentDelta{ih(1): {Downloaded: 1, FirstSeen: epoch}}); err != nil {
			t.Fatal(err)
		}
	})
}

// A database made by the first release (schema version 1) and filled with
// data keeps all of it through the upgrade, and works fully after.
func TestMigrateFromFirstVersion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := testCtx(t)
		clock := newClock()
		old, err := Open(ctx, url, WithoutMigrate(), WithClock(clock.Now))
		if err != nil {
			t.Fatal(err)
		}
		if _, to, err := old.migrateTo(ctx, 1); err != nil || to != 1 {
			t.Fatalf("building version 1: %d, %v", to, err)
		}
		alice, err := old.CreateKey(ctx, NewKey{Key: "alice-0123456789", Note: "Alice", TTL: 48 * 3600e9})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := old.CreateKey(ctx, NewKey{Key: "bob-0123456789"}); err != nil {
			t.Fatal(err)
		}
		if _, err := old.AddInfoHashes(ctx, [][20]byte{ih(0xaa), ih(0xbb)}, "Big Buck Bunny"); err != nil {
			t.Fatal(err)
		}
		v1, err := old.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		old.Close()

		// The next start-up upgrades.
		d := openDB(t, url, WithClock(clock.Now))
		if v, err := d.SchemaVersion(ctx); err != nil || v != LatestVersion() {
			t.Fatalf("after upgrade: version %d, %v", v, err)
		}
		got, err := d.Key(ctx, "alice-0123456789")
		if err != nil || got != alice {
			t.Fatalf("alice after upgrade: %+v, %v; want %+v", got, err, alice)
		}
		keys, err := d.Keys(ctx, "", 0)
		if err != nil || len(keys) != 2 {
			t.Fatalf("keys after upgrade: %v, %v", keys, err)
		}
		hashes, err := d.InfoHashes(ctx, "", 0)
		if err != nil || len(hashes) != 2 || hashes[0].Hash != ih(0xaa) || hashes[1].Note != "Big Buck Bunny" {
			t.Fatalf("info hashes after upgrade: %+v, %v", hashes, err)
		}
		if v, err := d.Version(ctx); err != nil || v != v1 {
			t.Fatalf("change version %d after upgrade, was %d (%v)", v, v1, err)
		}
		// What version 2 added works.
		if err := d.AddTorrentStats(ctx, map[[20]byte]TorrentDelta{ih(0xaa): {Downloaded: 3, FirstSeen: epoch}}); err != nil {
			t.Fatal(err)
		}
		if st, err := d.TorrentStat(ctx, ih(0xaa)); err != nil || st.Downloaded != 3 {
			t.Fatalf("torrent stats after upgrade: %+v, %v", st, err)
		}
	})
}

// A database upgraded by a newer release is refused, with both versions
// named, whether or not Open migrates; nothing in it is touched.
func TestRefuseNewerSchema(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := testCtx(t)
		d := openDB(t, url)
		newer := LatestVersion() + 1
		if _, err := d.sql.ExecContext(ctx, `INSERT INTO swarmbridge_migrations (version, name, applied_at) VALUES ($1, 'from_the_future', 0)`, newer); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("database schema version %d is newer than this binary knows (%d)", newer, LatestVersion())
		for _, opts := range [][]Option{nil, {WithoutMigrate()}} {
			_, err := Open(ctx, url, opts...)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Open(%d options): %v; want an error containing %q", len(opts), err, want)
			}
		}
		if _, _, err := d.Migrate(ctx); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Migrate: %v", err)
		}
		if v, err := d.SchemaVersion(ctx); err != nil || v != newer {
			t.Errorf("version now %d, %v", v, err)
		}
	})
}

// Nodes starting together against one PostgreSQL database take turns at
// migrating: all succeed, and each migration runs once.
func TestConcurrentMigrations(t *testing.T) {
	url := dbtest.Postgres(t)
	ctx := testCtx(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			d, err := Open(ctx, url)
			if err == nil {
				d.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	d := openDB(t, url)
	var n int
	if err := d.sql.QueryRowContext(ctx, `SELECT count(*) FROM swarmbridge_migrations`).Scan(&n); err != nil || n != LatestVersion() {
		t.Fatalf("%d migrations recorded (%v), want %d", n, err, LatestVersion())
	}
}

func TestOpenRefusesBadURLs(t *testing.T) {
	ctx := testCtx(t)
	for url, want := range map[string]string{
		"":                                "must start with sqlite:// or postgres://",
		"/var/lib/x.db":                   "must start with sqlite:// or postgres://",
		"mysql://root:hunter2@db/x":       `scheme "mysql"`,
		"sqlite://":                       "want sqlite:///absolute/path.db",
		"sqlite:///tmp/x.db?mode=ro":      "with no query",
		"sqlite://:memory:":               "in-memory",
		"postgres://u:hunter2@[::1/db":    "database URL",
		"postgres://u:hunter2@host:99999": "database URL",
	} {
		_, err := Open(ctx, url)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q): %v; want an error containing %q", url, err, want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q): the error shows the password: %v", url, err)
		}
	}
	// An unreachable server: the error names it, without the password.
	_, err := Open(ctx, "postgres://u:hunter2@127.0.0.1:1/x?sslmode=disable&connect_timeout=2")
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("unreachable server: %v", err)
	}
	if _, err := Open(ctx, dbtest.SQLite(t), WithPollInterval(0)); err == nil {
		t.Error("a zero poll interval was accepted")
	}
}
