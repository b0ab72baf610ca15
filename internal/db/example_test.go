package db_test

import (
	"context"
	"log"
	"sync"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/access"
	"github.com/swarmbridge/swarmbridge/internal/db"
)

// How a tracker node wires the database: its access checks read sets in
// memory that Watch keeps current, and download counts go through a
// Tally that RunTally flushes. Nothing on the announce path waits for the
// database.
func Example() {
	ctx, stop := context.WithCancel(context.Background())
	d, err := db.Open(ctx, "sqlite:///var/lib/swarmbridge/tracker.db")
	if err != nil {
		log.Fatal(err)
	}

	keys := access.NewKeys(nil)           // private mode
	hashes := access.NewHashFilter(false) // the list is an allow-list
	control := &access.Control{Keys: keys, Hashes: hashes}
	snap, err := d.Snapshot(ctx) // in force before the first announce
	if err != nil {
		log.Fatal(err)
	}
	snap.ApplyTo(keys, hashes)

	loaded, err := d.TorrentStats(ctx)
	if err != nil {
		log.Fatal(err)
	}
	tally := d.NewTally(loaded)

	var wg sync.WaitGroup
	wg.Go(func() { d.Watch(ctx, snap.Version, func(s db.Snapshot) { s.ApplyTo(keys, hashes) }) })
	wg.Go(func() {
		if err := d.RunTally(ctx, tally, 10*time.Second); err != nil {
			log.Print(err)
		}
	})

	// On the announce path, per request:
	_ = control.CheckPath("/announce/SOMEKEY") // every transport's check
	var ih [20]byte
	tally.Completed(ih) // on event=completed

	// At shutdown: stop the watcher and the flusher (which flushes one
	// last time), then close.
	stop()
	wg.Wait()
	d.Close()
}
