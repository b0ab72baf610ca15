package server

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/admin"
	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/db"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// newAdmin builds the management API when SWARMBRIDGE_ADMIN_ADDR is set.
// The token file is read here, at start-up, like the certificate and the
// list files: a missing or weak token stops the tracker before it takes
// a port. The token goes nowhere but the handler, which keeps only its
// hash.
func (s *Server) newAdmin() (http.Handler, error) {
	if s.conf.Admin() == config.AdminOff {
		return nil, nil
	}
	if s.data == nil {
		return nil, errors.New("SWARMBRIDGE_ADMIN_ADDR: the management API needs a database (SWARMBRIDGE_DATABASE_URL)")
	}
	token, err := admin.ReadTokenFile(s.conf.AdminTokenFile)
	if err != nil {
		return nil, fmt.Errorf("SWARMBRIDGE_ADMIN_TOKEN_FILE: %w", err)
	}
	h, err := admin.New(admin.Options{
		Token:    token,
		Store:    refreshingStore{s.data.db, s.data, s.log},
		Stats:    adminStats{s},
		Reloader: adminReloader{s},
		ListMode: s.conf.InfoHashMode,
		Log:      s.log.With().Str("component", "admin").Logger(),
		Now:      s.data.now,
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// refreshingStore is the database as the API writes to it: after each
// change it puts the new keys and list in force before the API answers,
// so a key the API just created works on the next announce to this node
// (other nodes learn of it through the database's change notification,
// within moments).
type refreshingStore struct {
	*db.DB
	st  *dbState
	log zerolog.Logger
}

// refreshed applies the database's current snapshot after a write. A
// failure to read it does not undo the write, which Watch will pick up.
func (r refreshingStore) refreshed(ctx context.Context, err error) error {
	if err != nil {
		return err
	}
	if rerr := r.st.refresh(ctx); rerr != nil {
		r.log.Warn().Err(rerr).Msg("admin API: change stored, but not yet in force on this node; the database watcher will apply it")
	}
	return nil
}

func (r refreshingStore) CreateKey(ctx context.Context, nk db.NewKey) (db.Key, error) {
	k, err := r.DB.CreateKey(ctx, nk)
	return k, r.refreshed(ctx, err)
}

func (r refreshingStore) DeleteKey(ctx context.Context, key string) error {
	return r.refreshed(ctx, r.DB.DeleteKey(ctx, key))
}

func (r refreshingStore) ImportKeys(ctx context.Context, keys []string, note string) (int, error) {
	n, err := r.DB.ImportKeys(ctx, keys, note)
	return n, r.refreshed(ctx, err)
}

func (r refreshingStore) AddInfoHashes(ctx context.Context, hashes [][20]byte, note string) (int, error) {
	n, err := r.DB.AddInfoHashes(ctx, hashes, note)
	return n, r.refreshed(ctx, err)
}

func (r refreshingStore) RemoveInfoHash(ctx context.Context, ih [20]byte) error {
	return r.refreshed(ctx, r.DB.RemoveInfoHash(ctx, ih))
}

// AdminServer returns the http.Server for the management API's own
// listener, with the same timeouts as the tracker's port.
func (s *Server) AdminServer() *http.Server { return s.httpServer(s.admin) }

// adminReloader is the API's POST /admin/reload: the same reload as
// SIGHUP.
type adminReloader struct{ s *Server }

func (r adminReloader) Reload(ctx context.Context) (string, error) {
	err := r.s.reload(ctx, "admin API reload")
	return r.s.AccessSummary(), err
}

// adminStats answers the API's torrent questions from the swarm store,
// the tally and the database.
type adminStats struct{ s *Server }

// Torrent reports one torrent: its peers, and its downloads and first
// time seen over every node as far as the database knows them (the
// stored row includes other nodes' flushed downloads, the tally this
// node's not yet flushed).
func (a adminStats) Torrent(ctx context.Context, ih [20]byte) (admin.TorrentStats, bool, error) {
	counts, err := a.s.tracked.Scrape(ctx, []bittorrent.InfoHash{ih}, nil)
	if err != nil {
		return admin.TorrentStats{}, false, err
	}
	c := counts[0]
	st := admin.TorrentStats{InfoHash: hex.EncodeToString(ih[:]), Seeders: c.Complete, Leechers: c.Incomplete, Downloaded: int64(c.Downloaded)}
	found := c.Complete+c.Incomplete > 0 || c.Downloaded > 0
	if k, ok := a.s.store.(kindCounter); ok {
		byKind, err := k.PeersByKind(ctx, ih)
		if err != nil {
			return admin.TorrentStats{}, false, err
		}
		st.PeersByKind = map[string]int{swarm.WebRTC.String(): byKind[swarm.WebRTC], swarm.Native.String(): byKind[swarm.Native]}
	}
	var first time.Time
	if t, ok := a.s.data.tally.Stat(ih); ok {
		found, first = true, t.FirstSeen
	}
	stored, err := a.s.data.db.TorrentStat(ctx, ih)
	switch {
	case err == nil:
		found = true
		st.Downloaded = max(st.Downloaded, stored.Downloaded)
		if first.IsZero() || stored.FirstSeen.Before(first) {
			first = stored.FirstSeen
		}
	case !errors.Is(err, db.ErrNotFound):
		return admin.TorrentStats{}, false, err
	}
	if !first.IsZero() {
		st.FirstSeen = &first
	}
	return st, found, nil
}

// kindCounter is a swarm store that counts one swarm's peers by kind
// cheaply (memory.Store); the API shows the counts when it can.
type kindCounter interface {
	PeersByKind(ctx context.Context, ih bittorrent.InfoHash) (map[swarm.Kind]int, error)
}

// Busiest reports the n swarms with the most peers.
func (a adminStats) Busiest(ctx context.Context, n int) ([]admin.TorrentStats, error) {
	all, ok := a.s.tracked.(bittorrent.FullScraper)
	if !ok {
		return nil, errNoFullScrape
	}
	top, err := topSwarms(ctx, all, n)
	if err != nil {
		return nil, err
	}
	out := make([]admin.TorrentStats, 0, len(top))
	for _, sw := range top {
		st := admin.TorrentStats{InfoHash: sw.ih.String(), Seeders: sw.c.Complete, Leechers: sw.c.Incomplete, Downloaded: int64(sw.c.Downloaded)}
		if t, ok := a.s.data.tally.Stat(sw.ih); ok && !t.FirstSeen.IsZero() {
			st.FirstSeen = &t.FirstSeen
		}
		if k, ok := a.s.store.(kindCounter); ok { // at most MaxBusiest lookups
			if byKind, err := k.PeersByKind(ctx, sw.ih); err == nil {
				st.PeersByKind = map[string]int{swarm.WebRTC.String(): byKind[swarm.WebRTC], swarm.Native.String(): byKind[swarm.Native]}
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// rankedSwarm is one swarm of a busiest list.
type rankedSwarm struct {
	ih bittorrent.InfoHash
	c  bittorrent.Counts
}

// topSwarms walks every swarm once and keeps the n with the most peers,
// most first.
func topSwarms(ctx context.Context, all bittorrent.FullScraper, n int) ([]rankedSwarm, error) {
	peers := func(r rankedSwarm) int { return r.c.Complete + r.c.Incomplete }
	top := make([]rankedSwarm, 0, n+1)
	err := all.ScrapeAll(ctx, func(ih bittorrent.InfoHash, c bittorrent.Counts) bool {
		r := rankedSwarm{ih, c}
		if len(top) == n && peers(r) <= peers(top[len(top)-1]) {
			return true
		}
		i, _ := slices.BinarySearchFunc(top, peers(r), func(e rankedSwarm, p int) int { return cmp.Compare(p, peers(e)) })
		top = slices.Insert(top, i, r)
		if len(top) > n {
			top = top[:n]
		}
		return true
	})
	return top, err
}

// mountAdmin serves the management API under /admin/ on mux: the
// operator set ADMIN_ADDR to the address of that listener on purpose.
// Patterns name their methods so they sit beside the page's "GET /"; the
// API answers 405 for methods of its paths that it does not take.
func (s *Server) mountAdmin(mux *http.ServeMux, on config.AdminOn) {
	if s.admin == nil || s.conf.Admin() != on {
		return
	}
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} {
		mux.Handle(m+" /admin/", s.admin)
	}
}
