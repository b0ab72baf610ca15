package db

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/dbtest"
)

func TestTorrentStatsUpsert(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := testCtx(t)
		d := openDB(t, url)
		deltas := map[[20]byte]TorrentDelta{}
		for i := range 700 { // more than one statement's worth
			var h [20]byte
			h[0], h[1] = byte(i>>8), byte(i)
			deltas[h] = TorrentDelta{Downloaded: int64(i % 3), FirstSeen: epoch.Add(time.Duration(i) * time.Second)}
		}
		if err := d.AddTorrentStats(ctx, deltas); err != nil {
			t.Fatal(err)
		}
		// Another node flushes later: counts add up, the earliest
		// first-seen time wins.
		var h5 [20]byte
		h5[1] = 5
		if err := d.AddTorrentStats(ctx, map[[20]byte]TorrentDelta{
			h5: {Downloaded: 10, FirstSeen: epoch.Add(-time.Hour)},
		}); err != nil {
			t.Fatal(err)
		}
		if err := d.AddTorrentStats(ctx, map[[20]byte]TorrentDelta{
			h5: {Downloaded: 1, FirstSeen: epoch.Add(time.Hour)},
		}); err != nil {
			t.Fatal(err)
		}
		all, err := d.TorrentStats(ctx)
		if err != nil || len(all) != 700 {
			t.Fatalf("loaded %d torrents, %v", len(all), err)
		}
		if st := all[h5]; st.Downloaded != 5%3+10+1 || !st.FirstSeen.Equal(epoch.Add(-time.Hour)) {
			t.Fatalf("merged stats %+v", st)
		}
		if st, err := d.TorrentStat(ctx, h5); err != nil || st != all[h5] {
			t.Fatalf("TorrentStat: %+v, %v", st, err)
		}
		if _, err := d.TorrentStat(ctx, ih(0xee)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown torrent: %v", err)
		}
		if err := d.AddTorrentStats(ctx, map[[20]byte]TorrentDelta{h5: {Downloaded: -1}}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("negative delta: %v", err)
		}
		if err := d.AddTorrentStats(ctx, nil); err != nil {
			t.Fatal(err)
		}
	})
}

// The tally counts in memory, flushes the difference, keeps it when a
// flush fails, and flushes once more when its runner stops.
func TestTally(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx := testCtx(t)
		clock := newClock()
		d := openDB(t, url, WithClock(clock.Now))
		if err := d.AddTorrentStats(ctx, map[[20]byte]TorrentDelta{ih(1): {Downloaded: 40, FirstSeen: epoch.Add(-24 * time.Hour)}}); err != nil {
			t.Fatal(err)
		}
		loaded, err := d.TorrentStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tally := d.NewTally(loaded)
		if st, ok := tally.Stat(ih(1)); !ok || st.Downloaded != 40 {
			t.Fatalf("loaded stat %+v %v", st, ok)
		}

		// Many announcers at once.
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 100 {
					tally.Completed(ih(1))
					tally.Seen(ih(2))
					tally.Completed(ih(3))
				}
			})
		}
		wg.Wait()
		if st, _ := tally.Stat(ih(1)); st.Downloaded != 840 {
			t.Fatalf("in memory: %d downloads, want 840", st.Downloaded)
		}
		if st, _ := tally.Stat(ih(2)); st.Downloaded != 0 || !st.FirstSeen.Equal(epoch) {
			t.Fatalf("seen torrent %+v", st)
		}
		if _, ok := tally.Stat(ih(9)); ok {
			t.Fatal("a torrent never seen has stats")
		}

		// A flush that fails keeps the counts for the next one.
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if err := d.FlushTally(cancelled, tally); err == nil {
			t.Fatal("flush with a cancelled context succeeded")
		}
		tally.Completed(ih(3))
		if err := d.FlushTally(ctx, tally); err != nil {
			t.Fatal(err)
		}
		want := map[[20]byte]int64{ih(1): 840, ih(2): 0, ih(3): 801}
		check := func() {
			t.Helper()
			all, err := d.TorrentStats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for h, n := range want {
				if all[h].Downloaded != n {
					t.Errorf("%x: %d stored downloads, want %d", h[:1], all[h].Downloaded, n)
				}
			}
			if !all[ih(2)].FirstSeen.Equal(epoch) || !all[ih(1)].FirstSeen.Equal(epoch.Add(-24*time.Hour)) {
				t.Errorf("first seen: %+v", all)
			}
		}
		check()
		// Nothing new: nothing written, counts unchanged.
		if err := d.FlushTally(ctx, tally); err != nil {
			t.Fatal(err)
		}
		check()

		// The runner flushes at its interval and once more at the end.
		run, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- d.RunTally(run, tally, time.Hour) }()
		tally.Completed(ih(1))
		stop()
		if err := <-done; err != nil {
			t.Fatalf("final flush: %v", err)
		}
		want[ih(1)]++
		check()
		if err := d.RunTally(ctx, tally, 0); err == nil {
			t.Fatal("zero interval accepted")
		}
	})
}
