package signalstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/signalstore"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
	"github.com/swarmbridge/swarmbridge/internal/swarm/memory"
	"github.com/swarmbridge/swarmbridge/signaling"
)

func id(b byte) (v [20]byte) {
	v[0] = b
	return v
}

// A signaling peer is a WebRTC entry bound to its connection: others get it
// as a target on that connection, and only that connection removes it.
func TestPeersAreBoundToTheirConnection(t *testing.T) {
	ctx := context.Background()
	store := memory.New(memory.Options{})
	s := signalstore.New(store, time.Minute)
	ih := bittorrent.InfoHash(id(1))

	if _, _, err := s.Announce(ctx, &signaling.Announce{InfoHash: ih, PeerID: id(2), Conn: 7, Event: bittorrent.EventStarted, Left: 0}, nil); err != nil {
		t.Fatal(err)
	}
	counts, targets, err := s.Announce(ctx, &signaling.Announce{InfoHash: ih, PeerID: id(3), Conn: 8, Event: bittorrent.EventStarted, Left: 5, Targets: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if counts != (bittorrent.Counts{Complete: 1, Incomplete: 1}) {
		t.Errorf("counts %+v", counts)
	}
	if len(targets) != 1 || targets[0] != (signaling.Target{PeerID: id(2), Conn: 7}) {
		t.Fatalf("targets %+v, want the seeder on connection 7", targets)
	}
	tot, err := store.Totals(ctx)
	if err != nil || tot.PeersByKind[swarm.WebRTC] != 2 {
		t.Fatalf("totals %+v %v, want 2 WebRTC peers", tot, err)
	}

	// Another connection cannot remove the seeder; its own can.
	if err := s.Leave(ctx, ih, id(2), 8); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Scrape(ctx, []bittorrent.InfoHash{ih}, nil); c[0].Complete != 1 {
		t.Fatalf("leave from another connection removed the peer: %+v", c)
	}
	if err := s.Leave(ctx, ih, id(2), 7); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Scrape(ctx, []bittorrent.InfoHash{ih}, nil); c[0].Complete != 0 {
		t.Fatalf("leave from its connection kept the peer: %+v", c)
	}
}

// Full scrapes pass through to a store that can list its swarms, and fail
// on one that cannot.
func TestScrapeAll(t *testing.T) {
	ctx := context.Background()
	s := signalstore.New(memory.New(memory.Options{}), time.Minute)
	ih := bittorrent.InfoHash(id(4))
	if _, _, err := s.Announce(ctx, &signaling.Announce{InfoHash: ih, PeerID: id(5), Conn: 1, Left: 3}, nil); err != nil {
		t.Fatal(err)
	}
	var seen []bittorrent.InfoHash
	if err := s.(bittorrent.FullScraper).ScrapeAll(ctx, func(h bittorrent.InfoHash, c bittorrent.Counts) bool {
		seen = append(seen, h)
		return true
	}); err != nil || len(seen) != 1 || seen[0] != ih {
		t.Fatalf("full scrape: %v %v", seen, err)
	}

	plain := signalstore.New(struct{ swarm.Store }{memory.New(memory.Options{})}, time.Minute)
	err := plain.(bittorrent.FullScraper).ScrapeAll(ctx, func(bittorrent.InfoHash, bittorrent.Counts) bool { return true })
	if err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("full scrape of a store that cannot list: %v, want an error", err)
	}
}
