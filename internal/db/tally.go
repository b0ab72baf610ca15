package db

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Tally keeps per-torrent stats in memory for the hot path and collects
// what changed for the next flush, so announces never wait for the
// database and a busy tracker writes a batch every few seconds instead of
// a row per announce.
//
// It remembers every torrent it was told about, as the database does:
// calling Seen for every announced hash on a public tracker grows both
// with every hash anyone makes up. Call Seen for torrents worth keeping
// (an allow-listed or private tracker, or swarms that got a completed
// event), or only Completed.
type Tally struct {
	now     func() time.Time
	entries sync.Map // [20]byte → *tallyEntry, read without locks

	mu    sync.Mutex
	dirty map[[20]byte]*tallyEntry // changed since the last flush
}

type tallyEntry struct {
	// total is the downloads this node knows of: those stored when it
	// started, plus those it counted since.
	total     atomic.Int64
	firstSeen time.Time
	// pending is counted but not yet flushed. Guarded by Tally.mu.
	pending int64
}

// NewTally returns a Tally that starts from the stats loaded at start-up
// (see TorrentStats; nil for none), using this handle's clock for
// first-seen times.
func (d *DB) NewTally(loaded map[[20]byte]TorrentStat) *Tally {
	t := &Tally{now: d.opts.now, dirty: map[[20]byte]*tallyEntry{}}
	for ih, st := range loaded {
		e := &tallyEntry{firstSeen: st.FirstSeen}
		e.total.Store(st.Downloaded)
		t.entries.Store(ih, e)
	}
	return t
}

// entry returns the torrent's entry, creating it (first seen now, to be
// stored at the next flush) if it is new.
func (t *Tally) entry(ih [20]byte) *tallyEntry {
	if e, ok := t.entries.Load(ih); ok {
		return e.(*tallyEntry)
	}
	e, loaded := t.entries.LoadOrStore(ih, &tallyEntry{firstSeen: t.now()})
	if !loaded {
		t.mu.Lock()
		t.dirty[ih] = e.(*tallyEntry)
		t.mu.Unlock()
	}
	return e.(*tallyEntry)
}

// Seen records that the torrent exists, with the current time as its
// first-seen time if it is new. For a known torrent it takes no lock.
func (t *Tally) Seen(ih [20]byte) { t.entry(ih) }

// Completed counts one download of the torrent.
func (t *Tally) Completed(ih [20]byte) {
	e := t.entry(ih)
	e.total.Add(1)
	t.mu.Lock()
	e.pending++
	t.dirty[ih] = e
	t.mu.Unlock()
}

// Stat is this node's view of a torrent: the stats stored when the Tally
// was made plus what it counted since (other nodes' downloads since then
// are in the database, not here).
func (t *Tally) Stat(ih [20]byte) (TorrentStat, bool) {
	v, ok := t.entries.Load(ih)
	if !ok {
		return TorrentStat{}, false
	}
	e := v.(*tallyEntry)
	return TorrentStat{Downloaded: e.total.Load(), FirstSeen: e.firstSeen}, true
}

// take hands out what changed since the last flush and starts afresh.
func (t *Tally) take() (map[[20]byte]TorrentDelta, map[[20]byte]*tallyEntry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.dirty) == 0 {
		return nil, nil
	}
	taken := t.dirty
	t.dirty = map[[20]byte]*tallyEntry{}
	deltas := make(map[[20]byte]TorrentDelta, len(taken))
	for ih, e := range taken {
		deltas[ih] = TorrentDelta{Downloaded: e.pending, FirstSeen: e.firstSeen}
		e.pending = 0
	}
	return deltas, taken
}

// giveBack returns a failed flush's changes, to go out with the next one.
func (t *Tally) giveBack(deltas map[[20]byte]TorrentDelta, taken map[[20]byte]*tallyEntry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for ih, e := range taken {
		e.pending += deltas[ih].Downloaded
		t.dirty[ih] = e
	}
}

// FlushTally writes what t collected since its last flush. On failure
// the changes stay in t for the next try.
func (d *DB) FlushTally(ctx context.Context, t *Tally) error {
	deltas, taken := t.take()
	if deltas == nil {
		return nil
	}
	if err := d.AddTorrentStats(ctx, deltas); err != nil {
		t.giveBack(deltas, taken)
		return err
	}
	return nil
}

// RunTally flushes t every interval until ctx ends, then once more (with
// up to finalFlushTimeout, so a shutdown keeps the last counts) and
// returns that last flush's error. Failed flushes are logged and retried
// at the next interval.
func (d *DB) RunTally(ctx context.Context, t *Tally, every time.Duration) error {
	if every <= 0 {
		return fmt.Errorf("torrent stats flush interval %v must be positive", every)
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalFlushTimeout)
			defer cancel()
			return d.FlushTally(fctx, t)
		case <-tick.C:
			if err := d.FlushTally(ctx, t); err != nil && ctx.Err() == nil {
				d.opts.log.Error().Err(err).Str("database", d.where).Msg("torrent stats not saved; retrying at the next flush")
			}
		}
	}
}

// finalFlushTimeout bounds the flush RunTally makes at shutdown.
const finalFlushTimeout = 10 * time.Second
