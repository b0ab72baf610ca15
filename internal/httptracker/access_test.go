package httptracker

import (
	"errors"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// Admit is asked before anything else, with the resolved client address;
// what it returns is what the client reads.
func TestAdmitRefusesBeforeParsing(t *testing.T) {
	var (
		mu    sync.Mutex
		seen  []netip.Addr
		paths []string
	)
	limited := &Failure{Reason: "rate limited: too many announces, slow down", RetryIn: "1"}
	tr := newTracker(t, func(c *Config) {
		c.Admit = func(r *http.Request, client netip.Addr) error {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, client)
			paths = append(paths, r.URL.Path)
			switch client {
			case netip.MustParseAddr("192.0.2.9"):
				return limited
			case netip.MustParseAddr("192.0.2.8"):
				return errors.New("unknown key")
			}
			return nil
		}
	})
	// Refused even though the query is garbage: Admit comes first.
	d := tr.announce("192.0.2.9:1", "info_hash=%zz")
	mustFail(t, d, limited.Reason)
	if d["retry in"] != "1" {
		t.Fatalf("retry in lost: %v", d)
	}
	mustFail(t, tr.announce("[::ffff:192.0.2.8]:1", announceQuery(id20(1), id20(2), 1, "")), "unknown key")
	mustFail(t, tr.do(tr.h.ServeScrape, "192.0.2.9:1", "info_hash="+escID(1), nil), limited.Reason)
	mustOK(t, tr.announce("192.0.2.7:1", announceQuery(id20(1), id20(2), 1, "")))
	mu.Lock()
	defer mu.Unlock()
	want := []string{"192.0.2.9", "192.0.2.8", "192.0.2.9", "192.0.2.7"}
	if len(seen) != len(want) {
		t.Fatalf("Admit saw %v", seen)
	}
	for i, w := range want {
		if seen[i] != netip.MustParseAddr(w) || paths[i] != "/x" {
			t.Fatalf("Admit call %d: %v %q", i, seen[i], paths[i])
		}
	}
}

func TestAllowInfoHash(t *testing.T) {
	denied := id20(7)
	errDenied := errors.New("info_hash not allowed")
	tr := newTracker(t, func(c *Config) {
		c.AllowFullScrape = true
		c.AllowInfoHash = func(ih bittorrent.InfoHash) error {
			if ih == denied {
				return errDenied
			}
			return nil
		}
		c.AllowScrape = func(ih bittorrent.InfoHash) bool { return ih != denied }
	})
	mustFail(t, tr.announce("192.0.2.1:1", announceQuery(denied, id20(2), 6881, "left=0")), "info_hash not allowed")
	mustOK(t, tr.announce("192.0.2.1:1", announceQuery(id20(1), id20(2), 6881, "left=0")))
	// The refused announce never reached the store.
	if c, err := tr.store.Scrape(t.Context(), []bittorrent.InfoHash{denied}, nil); err != nil || c[0] != (bittorrent.Counts{}) {
		t.Fatalf("refused announce touched the store: %v %v", c, err)
	}

	// Put a peer in the denied swarm behind the filter's back (as if the
	// hash was denied after it announced), then scrape.
	store := tr.store
	if err := store.Announce(t.Context(), &swarm.AnnounceRequest{
		InfoHash: denied, Peer: swarm.Peer{ID: id20(3), Kind: swarm.Native, Addr: netip.MustParseAddrPort("192.0.2.3:1")},
		Event: bittorrent.EventStarted, TTL: time.Minute,
	}, &swarm.AnnounceResult{}); err != nil {
		t.Fatal(err)
	}
	d := tr.scrape("info_hash=" + escID(1) + "&info_hash=" + esc(denied[:]))
	files := d["files"].(map[string]any)
	allowed := id20(1)
	if f := files[string(allowed[:])].(map[string]any); intOf(t, f, "complete") != 1 {
		t.Fatalf("allowed hash: %v", d)
	}
	if f := files[string(denied[:])].(map[string]any); intOf(t, f, "complete") != 0 || intOf(t, f, "incomplete") != 0 {
		t.Fatalf("denied hash not reported as zeros: %v", d)
	}
	full := tr.scrape("")["files"].(map[string]any)
	if _, has := full[string(denied[:])]; has || len(full) != 1 {
		t.Fatalf("full scrape lists the denied hash: %v", full)
	}
}
