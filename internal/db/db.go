// Package db keeps what operators manage while the tracker runs: private
// tracker keys (with an optional expiry), the info hash list, and
// per-torrent download counts. It runs on SQLite (one node; pure-Go
// driver, so binaries stay static) or PostgreSQL (any number of nodes).
//
// The tracker's hot path never queries the database. It reads an
// in-memory Snapshot that Watch refreshes whenever the data changes:
// every write bumps a version row and, on PostgreSQL, sends a NOTIFY that
// every node LISTENs for; writes through this handle also wake its own
// watchers directly, and the version row is polled as a fallback for
// anything missed (another process writing to the same SQLite file, a
// notification lost while a listener reconnected).
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/rs/zerolog"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Errors callers tell apart with errors.Is.
var (
	// ErrNotFound: no such key, info hash or torrent.
	ErrNotFound = errors.New("not found")
	// ErrExists: the key being created is already taken.
	ErrExists = errors.New("already exists")
	// ErrInvalid is wrapped by errors about values the database refuses
	// to store (a malformed key, an over-long note).
	ErrInvalid = errors.New("invalid")
)

// dialect is the SQL flavour behind a DB.
type dialect int

const (
	sqlite dialect = iota
	postgres
)

func (d dialect) String() string {
	if d == postgres {
		return "postgres"
	}
	return "sqlite"
}

// DB is a handle on the tracker's database, safe for concurrent use.
type DB struct {
	sql     *sql.DB
	dialect dialect
	// pgConfig is the parsed PostgreSQL configuration the listener
	// connects with; nil on SQLite.
	pgConfig *pgx.ConnConfig
	// where names the database in logs and errors, password removed.
	where string
	opts  options
	// changes wakes this handle's watchers after its own writes.
	changes broadcaster
}

// Option changes how Open behaves.
type Option func(*options)

type options struct {
	log            zerolog.Logger
	now            func() time.Time
	poll           time.Duration
	reconnectDelay time.Duration
	migrate        bool
}

// WithLogger sets where the handle logs schema upgrades and listener
// trouble (default: nowhere).
func WithLogger(l zerolog.Logger) Option { return func(o *options) { o.log = l } }

// WithClock sets the clock for creation times, expiries and first-seen
// times (default time.Now). Tests pass a fake one.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithPollInterval sets how often Watch reads the version row when no
// notification arrives (default DefaultPollInterval).
func WithPollInterval(d time.Duration) Option { return func(o *options) { o.poll = d } }

// WithoutMigrate makes Open leave the schema as it finds it; call Migrate
// to upgrade it. A schema newer than this binary is refused either way.
func WithoutMigrate() Option { return func(o *options) { o.migrate = false } }

// withReconnectDelay sets the PostgreSQL listener's first reconnect delay.
func withReconnectDelay(d time.Duration) Option {
	return func(o *options) { o.reconnectDelay = d }
}

// DefaultPollInterval is how often Watch reads the version row when no
// notification arrives. Notifications normally arrive within
// milliseconds; the poll only bounds how stale a node can get when one
// is lost.
const DefaultPollInterval = 15 * time.Second

// Open connects to the database at rawURL, applies pending schema
// migrations (unless WithoutMigrate) and logs the schema version. URLs:
//
//	sqlite:///var/lib/swarmbridge/tracker.db   (absolute path)
//	sqlite://tracker.db                        (relative to the working directory)
//	postgres://user:password@host:5432/dbname?sslmode=disable
//
// It refuses a database whose schema is newer than this binary knows.
func Open(ctx context.Context, rawURL string, opts ...Option) (*DB, error) {
	o := options{log: zerolog.Nop(), now: time.Now, poll: DefaultPollInterval, reconnectDelay: 250 * time.Millisecond, migrate: true}
	for _, opt := range opts {
		opt(&o)
	}
	if o.poll <= 0 {
		return nil, fmt.Errorf("database: poll interval %v must be positive", o.poll)
	}
	d, err := connect(rawURL)
	if err != nil {
		return nil, err
	}
	d.opts = o
	if err := d.sql.PingContext(ctx); err != nil {
		d.sql.Close()
		return nil, fmt.Errorf("database %s: %w", d.where, err)
	}
	if o.migrate {
		from, to, err := d.Migrate(ctx)
		if err != nil {
			d.sql.Close()
			return nil, err
		}
		ev := o.log.Info().Str("database", d.where).Int("schema_version", to)
		if from != to {
			ev = ev.Int("migrated_from", from)
		}
		ev.Msg("database ready")
		return d, nil
	}
	v, err := d.SchemaVersion(ctx)
	if err != nil {
		d.sql.Close()
		return nil, err
	}
	if err := checkNotNewer(v); err != nil {
		d.sql.Close()
		return nil, err
	}
	return d, nil
}

// connect parses rawURL and opens the matching pool, without talking to
// the server yet.
func connect(rawURL string) (*DB, error) {
	scheme, rest, ok := strings.Cut(rawURL, ":")
	if !ok {
		return nil, errors.New("database URL must start with sqlite:// or postgres://")
	}
	switch strings.ToLower(scheme) {
	case "sqlite":
		path := strings.TrimPrefix(rest, "//")
		if path == "" || strings.ContainsAny(path, "?#") {
			return nil, fmt.Errorf("database URL %q: want sqlite:///absolute/path.db or sqlite://relative/path.db, with no query", rawURL)
		}
		if path == ":memory:" {
			return nil, errors.New("database URL: an in-memory SQLite database would lose everything at exit; give a file path")
		}
		// One connection: SQLite takes one writer at a time anyway, the
		// tracker's writes are few and small, and it rules out
		// "database is locked" between our own connections. WAL lets
		// other processes (swarmbridge migrate, sqlite3) read meanwhile;
		// busy_timeout makes them wait for each other instead of failing,
		// and BEGIN IMMEDIATE takes the write lock up front, so a
		// transaction never fails half-way on upgrading its lock.
		// A plain file name (no "file:" prefix) is never read as a URI,
		// so '%' and the like in the path stay literal.
		dsn := path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
		s, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, fmt.Errorf("database %s: %w", path, err)
		}
		s.SetMaxOpenConns(1)
		return &DB{sql: s, dialect: sqlite, where: "sqlite:" + path}, nil
	case "postgres", "postgresql":
		cfg, err := pgx.ParseConfig(rawURL) // its errors hide the password
		if err != nil {
			return nil, fmt.Errorf("database URL: %w", err)
		}
		where := "postgres"
		if u, err := url.Parse(rawURL); err == nil {
			where = u.Redacted()
		}
		// database/sql over pgx's stdlib adapter: the repository's SQL is
		// shared with SQLite through one interface. Only the listener,
		// which needs a dedicated connection, uses pgx natively.
		s := stdlib.OpenDB(*cfg.Copy())
		s.SetMaxOpenConns(8)
		s.SetMaxIdleConns(2)
		s.SetConnMaxIdleTime(5 * time.Minute)
		return &DB{sql: s, dialect: postgres, pgConfig: cfg, where: where}, nil
	}
	return nil, fmt.Errorf("database URL scheme %q: want sqlite or postgres", scheme)
}

// Close closes the pool. Stop every Watch and RunTally first.
func (d *DB) Close() error { return d.sql.Close() }

// Dialect names the database kind: "sqlite" or "postgres".
func (d *DB) Dialect() string { return d.dialect.String() }

// String names the database for logs, without its password.
func (d *DB) String() string { return d.where }

// inTx runs fn in a transaction and commits it, or rolls it back when fn
// fails.
func (d *DB) inTx(ctx context.Context, opts *sql.TxOptions, fn func(*sql.Tx) error) error {
	tx, err := d.sql.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// unix converts a time to the schema's Unix seconds.
func unix(t time.Time) int64 { return t.Unix() }

// fromUnix converts the schema's Unix seconds back, in UTC.
func fromUnix(s int64) time.Time { return time.Unix(s, 0).UTC() }
