package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/internal/access"
	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/db"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// Database is what the tracker needs from its database before it serves
// (SWARMBRIDGE_DATABASE_URL): the keys and info hash list in force and the
// stored download counts. LoadDatabase reads it; Options.Database takes
// it. The caller opened the *db.DB and closes it after Run returns.
type Database struct {
	db    *db.DB
	snap  db.Snapshot
	stats map[[20]byte]db.TorrentStat
	now   func() time.Time
}

// LoadDatabase reads what the tracker starts from. now is the clock key
// expiries are checked against (nil: time.Now); tests pass the same fake
// clock as to db.Open.
func LoadDatabase(ctx context.Context, d *db.DB, now func() time.Time) (*Database, error) {
	snap, err := d.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	stats, err := d.TorrentStats(ctx)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", d, err)
	}
	if now == nil {
		now = time.Now
	}
	return &Database{db: d, snap: snap, stats: stats, now: now}, nil
}

// tallyFlushEvery is how often counted downloads are written to the
// database. A crash loses at most this much; a shutdown loses nothing.
const tallyFlushEvery = 10 * time.Second

// dbState is the running tracker's side of the database: the access sets
// the guard checks, kept current by Watch, and the download tally.
type dbState struct {
	db    *db.DB
	tally *db.Tally
	// keys is nil unless SWARMBRIDGE_PRIVATE; hashes is nil with
	// INFOHASH_MODE=off. The guard checks them; apply swaps new contents in.
	keys   *access.Keys
	hashes *access.HashFilter
	mode   string
	log    zerolog.Logger
	now    func() time.Time

	mu sync.Mutex
	// applied is the version of the snapshot in force, so a reload that
	// read an older snapshot than Watch just applied does not undo it.
	applied int64
}

// newDBState gives the guard its database-fed sets and wraps store so
// that downloads are tallied. Without a database it returns nil and store
// unchanged.
// A configuration that names a database without one being given is
// refused: the tracker would otherwise run open where the operator asked
// for a private one.
func newDBState(d *Database, c config.Config, g *guard, store swarm.Store, log zerolog.Logger) (*dbState, swarm.Store, error) {
	if d == nil {
		if c.DatabaseURL != "" {
			return nil, nil, errors.New("SWARMBRIDGE_DATABASE_URL is set but no database was opened (see LoadDatabase)")
		}
		return nil, store, nil
	}
	st := &dbState{db: d.db, tally: d.db.NewTally(d.stats), mode: c.InfoHashMode, log: log, now: d.now, applied: -1}
	if c.Private {
		st.keys = access.NewKeys(d.now)
		g.access.Keys = st.keys
	}
	if c.InfoHashMode != "off" {
		st.hashes = access.NewHashFilter(c.InfoHashMode == "deny")
		g.access.Hashes = st.hashes
	}
	st.apply(d.snap)
	return st, &downloadTallyStore{Store: store, tally: st.tally, seen: c.Private || c.InfoHashMode == "allow"}, nil
}

// apply puts a snapshot in force unless a newer one already is.
func (st *dbState) apply(s db.Snapshot) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if s.Version < st.applied {
		return
	}
	st.applied = s.Version
	s.ApplyTo(st.keys, st.hashes)
}

// refresh reads the snapshot now and applies it (a reload).
func (st *dbState) refresh(ctx context.Context) error {
	snap, err := st.db.Snapshot(ctx)
	if err != nil {
		return err
	}
	st.apply(snap)
	return nil
}

// watch keeps the access sets current until ctx ends: every change made
// through any node's API (PostgreSQL: LISTEN/NOTIFY) or to the same
// SQLite file reaches them within moments.
func (st *dbState) watch(ctx context.Context) error {
	st.mu.Lock()
	since := st.applied
	st.mu.Unlock()
	return st.db.Watch(ctx, since, st.apply)
}

// runTally flushes counted downloads every tallyFlushEvery until ctx ends,
// then once more. A failed last flush is logged, not returned: the
// tracker did shut down; the counts are what was lost.
func (st *dbState) runTally(ctx context.Context) error {
	if err := st.db.RunTally(ctx, st.tally, tallyFlushEvery); err != nil {
		st.log.Error().Err(err).Str("database", st.db.String()).Msg("download counts of the last seconds not saved at shutdown")
	}
	return nil
}

// finalFlush writes what was counted after runTally's last flush, once
// every transport has stopped.
func (st *dbState) finalFlush() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := st.db.FlushTally(ctx, st.tally); err != nil {
		st.log.Error().Err(err).Str("database", st.db.String()).Msg("download counts of the last moments not saved at shutdown")
	}
}

// runDatabase starts, in Run's group, what the database and the
// management API need while the tracker serves: the watcher that keeps
// keys and lists current and the download flusher (both on background,
// which ends after the transports have drained, so announces answered
// during the drain still see current keys and get counted), and the API's
// own listener, which shutdown closes together with the tracker's port.
func (s *Server) runDatabase(g *errgroup.Group, background context.Context, ls Listeners) {
	if s.data != nil {
		g.Go(func() error { return s.data.watch(background) })
		g.Go(func() error { return s.data.runTally(background) })
	}
	if ls.Admin == nil {
		return
	}
	if s.admin == nil { // Listen and New were given different configurations
		_ = ls.Admin.Close()
		s.log.Error().Msg("an admin listener without SWARMBRIDGE_ADMIN_ADDR; closed it")
		return
	}
	s.adminSrv = s.AdminServer()
	g.Go(func() error {
		if err := s.adminSrv.Serve(ls.Admin); !errors.Is(err, http.ErrServerClosed) {
			// The API is for operators: the tracker goes on serving peers.
			s.log.Error().Err(err).Msg("admin API listener stopped")
		}
		return nil
	})
}
