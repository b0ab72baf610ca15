package httptracker

import (
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
	"github.com/swarmbridge/swarmbridge/internal/testkit/policytest"
)

// The policy is asked before anything else, with the resolved client
// address: first its rate limit, then its URL path; what it refuses is
// what the client reads.
func TestPolicyRefusesBeforeParsing(t *testing.T) {
	var (
		mu    sync.Mutex
		seen  []netip.Addr
		paths []string
	)
	tr := newTracker(t, func(c *Config) {
		c.Policy = policytest.Funcs{
			AllowFunc: func(tp bittorrent.Transport, client netip.Addr) bool {
				mu.Lock()
				defer mu.Unlock()
				if tp != bittorrent.TransportHTTP {
					t.Errorf("Allow asked for transport %v", tp)
				}
				seen = append(seen, client)
				return client != netip.MustParseAddr("192.0.2.9")
			},
			AdmitFunc: func(tp bittorrent.Transport, client netip.Addr, origin, path string) error {
				mu.Lock()
				defer mu.Unlock()
				if tp != bittorrent.TransportHTTP || origin != "" {
					t.Errorf("Admit asked for transport %v, origin %q", tp, origin)
				}
				paths = append(paths, path)
				if client == netip.MustParseAddr("192.0.2.8") {
					return errors.New("unknown key")
				}
				return nil
			},
		}
	})
	// Refused even though the query is garbage: the policy comes first.
	d := tr.announce("192.0.2.9:1", "info_hash=%zz")
	mustFail(t, d, "rate limited: too many announces, slow down")
	if d["retry in"] != "1" {
		t.Fatalf("retry in lost: %v", d)
	}
	mustFail(t, tr.announce("[::ffff:192.0.2.8]:1", announceQuery(id20(1), id20(2), 1, "")), "unknown key")
	mustFail(t, tr.do(tr.h.ServeScrape, "192.0.2.9:1", "info_hash="+escID(1), nil), "rate limited: too many announces, slow down")
	mustOK(t, tr.announce("192.0.2.7:1", announceQuery(id20(1), id20(2), 1, "")))
	mu.Lock()
	defer mu.Unlock()
	want := []string{"192.0.2.9", "192.0.2.8", "192.0.2.9", "192.0.2.7"}
	if len(seen) != len(want) {
		t.Fatalf("Allow saw %v", seen)
	}
	for i, w := range want {
		if seen[i] != netip.MustParseAddr(w) {
			t.Fatalf("Allow call %d: %v, want %v", i, seen[i], w)
		}
	}
	// Admit only sees what Allow let through.
	if len(paths) != 2 || paths[0] != "/x" || paths[1] != "/x" {
		t.Fatalf("Admit saw paths %q", paths)
	}
}

func TestPolicyAuthorizesInfoHashes(t *testing.T) {
	denied := id20(7)
	errDenied := errors.New("info_hash not allowed")
	tr := newTracker(t, func(c *Config) {
		c.AllowFullScrape = true
		c.Policy = policytest.Funcs{AuthorizeFunc: func(_ bittorrent.Transport, _ bittorrent.Action, ih bittorrent.InfoHash, _ string) error {
			if ih == denied {
				return errDenied
			}
			return nil
		}}
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
