package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// The schema is a numbered series of SQL files per dialect,
// migrations/<dialect>/NNNN_name.sql, numbered from 1 without gaps. Both
// dialects have the same versions; a file runs once, in one transaction
// with the others pending, and is recorded in swarmbridge_migrations.
//
//go:embed migrations
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded migrations of one dialect, in order.
func loadMigrations(dl dialect) ([]migration, error) {
	dir := path.Join("migrations", dl.String())
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration file %s/%s: want NNNN_name.sql", dir, e.Name())
		}
		b, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migrations/%s: version %d where %d was expected", dl, m.version, i+1)
		}
	}
	return ms, nil
}

// LatestVersion is the newest schema version this binary knows.
func LatestVersion() int {
	ms, err := loadMigrations(sqlite)
	if err != nil {
		return 0 // a broken embed; the tests catch it
	}
	return len(ms)
}

// migrateLock is the PostgreSQL advisory lock that serializes migrations
// when several nodes start at once ("swarmbri" in ASCII).
const migrateLock = 0x737761726d627269

// checkNotNewer is the refusal of a schema this binary does not know.
func checkNotNewer(version int) error {
	if latest := LatestVersion(); version > latest {
		return fmt.Errorf("database schema version %d is newer than this binary knows (%d): run the swarmbridge release that upgraded it, or a newer one", version, latest)
	}
	return nil
}

// SchemaVersion reads the schema version: 0 for an empty database.
func (d *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := d.inTx(ctx, nil, func(tx *sql.Tx) error {
		var err error
		v, err = d.schemaVersion(ctx, tx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("database %s: reading the schema version: %w", d.where, err)
	}
	return v, nil
}

func (d *DB) schemaVersion(ctx context.Context, tx *sql.Tx) (int, error) {
	var exists bool
	q := `SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'swarmbridge_migrations'`
	if d.dialect == postgres {
		q = `SELECT to_regclass('swarmbridge_migrations') IS NOT NULL`
	}
	if err := tx.QueryRowContext(ctx, q).Scan(&exists); err != nil {
		return 0, err
	}
	if !exists {
		return 0, nil
	}
	var v int
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM swarmbridge_migrations`).Scan(&v)
	return v, err
}

// Migrate brings the schema to LatestVersion, applying every pending
// migration in one transaction, and reports the versions before and
// after. It refuses a schema newer than this binary knows. Several nodes
// may call it at once: on PostgreSQL they take turns.
func (d *DB) Migrate(ctx context.Context) (from, to int, err error) {
	return d.migrateTo(ctx, LatestVersion())
}

// migrateTo applies the migrations up to target (tests build old schemas
// with it).
func (d *DB) migrateTo(ctx context.Context, target int) (from, to int, err error) {
	ms, err := loadMigrations(d.dialect)
	if err != nil {
		return 0, 0, err
	}
	err = d.inTx(ctx, nil, func(tx *sql.Tx) error {
		if d.dialect == postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
				return err
			}
		}
		if from, err = d.schemaVersion(ctx, tx); err != nil {
			return err
		}
		if err := checkNotNewer(from); err != nil {
			return err
		}
		to = from
		if from >= target {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS swarmbridge_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT    NOT NULL,
			applied_at BIGINT  NOT NULL
		)`); err != nil {
			return err
		}
		for _, m := range ms[from:target] {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO swarmbridge_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.version, m.name, unix(d.opts.now())); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
			to = m.version
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("database %s: schema migration: %w", d.where, err)
	}
	return from, to, nil
}
