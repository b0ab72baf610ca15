package signaling_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/policytest"

	"github.com/coder/websocket"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling"
)

// Abuse limits and access hooks, tried over real WebSockets.

// headerAddr makes the X-Test-Addr header the client address, so one test
// can play several clients.
func headerAddr(r *http.Request) (netip.Addr, error) {
	if v := r.Header.Get("X-Test-Addr"); v != "" {
		return netip.ParseAddr(v)
	}
	return netip.MustParseAddr("127.0.0.1"), nil
}

func fromAddr(a string) *websocket.DialOptions {
	return &websocket.DialOptions{HTTPHeader: http.Header{"X-Test-Addr": {a}}}
}

// refused dials and expects the upgrade to be refused with status; it
// returns the plain-text body.
func (tr *tracker) refused(t *testing.T, opts *websocket.DialOptions, status int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, tr.url, opts)
	if err == nil {
		_ = ws.CloseNow()
		t.Fatalf("upgrade accepted, want %d", status)
	}
	if resp == nil || resp.StatusCode != status {
		t.Fatalf("upgrade refused with %v (%v), want %d", resp, err, status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("refusal Content-Type %q", ct)
	}
	body, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(body))
}

// limitObserver counts Limited calls; everything else is discarded.
type limitObserver struct {
	nop
	mu sync.Mutex
	n  map[signaling.Limit]int
}

type nop struct{}

func (nop) ConnOpened()                              {}
func (nop) ConnClosed(signaling.CloseReason)         {}
func (nop) Handled(signaling.Message, time.Duration) {}
func (nop) Failure(bittorrent.FailureCode)           {}
func (nop) OfferRelayed()                            {}
func (nop) AnswerRelayed()                           {}
func (nop) Dropped(signaling.DropReason)             {}

func (o *limitObserver) Limited(l signaling.Limit) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = map[signaling.Limit]int{}
	}
	o.n[l]++
}

func (o *limitObserver) count(l signaling.Limit) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n[l]
}

func TestMaxConnsRefusesUpgradesWith503(t *testing.T) {
	obs := &limitObserver{}
	tr := newTracker(t, func(c *signaling.Config) { c.MaxConns = 2; c.Observer = obs })
	first := tr.dial(t)
	tr.dial(t)
	if body := tr.refused(t, nil, http.StatusServiceUnavailable); !strings.Contains(body, "too many connections") {
		t.Fatalf("body %q", body)
	}
	if obs.count(signaling.LimitConns) != 1 {
		t.Fatalf("refusal not observed")
	}
	// A closed connection gives its slot back.
	_ = first.ws.Close(websocket.StatusNormalClosure, "")
	waitFor(t, func() bool { return tr.h.Conns() == 1 })
	c := tr.dial(t)
	ih := randID()
	c.send(announce(ih, randID(), "started", 0))
	expectAnnounceResponse(t, c, ih)
}

func TestMaxConnsPerIPRefusesUpgradesWith429(t *testing.T) {
	obs := &limitObserver{}
	tr := newTracker(t, func(c *signaling.Config) {
		c.MaxConnsPerIP = 2
		c.ClientAddr = headerAddr
		c.Observer = obs
	})
	tr.dialWith(t, fromAddr("192.0.2.1"))
	tr.dialWith(t, fromAddr("192.0.2.1"))
	if body := tr.refused(t, fromAddr("192.0.2.1"), http.StatusTooManyRequests); !strings.Contains(body, "from your address") {
		t.Fatalf("body %q", body)
	}
	// Other addresses are not affected; IPv6 clients count by /64.
	tr.dialWith(t, fromAddr("192.0.2.2"))
	tr.dialWith(t, fromAddr("2001:db8::1"))
	tr.dialWith(t, fromAddr("2001:db8::2"))
	tr.refused(t, fromAddr("2001:db8::3"), http.StatusTooManyRequests)
	tr.dialWith(t, fromAddr("2001:db8:0:1::1"))
	if n := obs.count(signaling.LimitConnsPerIP); n != 2 {
		t.Fatalf("%d refusals observed, want 2", n)
	}
}

// Config.Policy's Admit is asked about every upgrade, with its Origin and
// URL path; what it refuses gets 403 and the error's text.
func TestPolicyAdmitRefusesUpgradesWith403(t *testing.T) {
	var paths []string
	var mu sync.Mutex
	tr := newTracker(t, func(c *signaling.Config) {
		c.MaxConns = 1
		c.Policy = policytest.Funcs{AdmitFunc: func(tp bittorrent.Transport, _ netip.Addr, origin, path string) error {
			mu.Lock()
			paths = append(paths, path)
			mu.Unlock()
			if tp != bittorrent.TransportWS {
				return errors.New("asked for " + tp.String())
			}
			if origin == "https://evil.test" {
				return errors.New("origin not allowed")
			}
			return nil
		}}
	})
	bad := &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://evil.test"}}}
	for range 3 {
		if body := tr.refused(t, bad, http.StatusForbidden); body != "origin not allowed" {
			t.Fatalf("body %q", body)
		}
	}
	// Refused upgrades took no connection slot.
	tr.dial(t)
	mu.Lock()
	defer mu.Unlock()
	if len(paths) != 4 || paths[3] != "/" {
		t.Fatalf("Admit saw paths %q, want 4 of /", paths)
	}
}

// A client whose address cannot be told (a trusted proxy sent a malformed
// X-Forwarded-For) is refused rather than counted as the proxy.
func TestUnknownClientAddressRefusesTheUpgrade(t *testing.T) {
	tr := newTracker(t, func(c *signaling.Config) {
		c.ClientAddr = func(r *http.Request) (netip.Addr, error) {
			if v := r.Header.Get("X-Forwarded-For"); v != "" {
				return netip.ParseAddr(v)
			}
			return netip.MustParseAddr("192.0.2.1"), nil
		}
	})
	bad := &websocket.DialOptions{HTTPHeader: http.Header{"X-Forwarded-For": {"not-an-address"}}}
	if body := tr.refused(t, bad, http.StatusBadRequest); !strings.Contains(body, "client address") {
		t.Fatalf("body %q", body)
	}
	c := tr.dial(t)
	ih := randID()
	c.send(announce(ih, randID(), "started", 0))
	expectAnnounceResponse(t, c, ih)
}

func TestAnnouncesPerConnIsATokenBucket(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	obs := &limitObserver{}
	tr := newTracker(t, func(c *signaling.Config) {
		c.Now = clock
		c.AnnounceInterval = 30 * time.Second
		c.AnnouncesPerConn = 3
		c.Observer = obs
	})
	c := tr.dial(t)
	ih, peer := randID(), randID()
	for range 3 {
		c.send(announce(ih, peer, "", 0))
		expectAnnounceResponse(t, c, ih)
	}
	c.send(announce(ih, peer, "", 0))
	expectFailure(t, c, "announce", ih, bittorrent.ReasonRateLimited)
	c.send(map[string]any{"action": "scrape", "info_hash": bin(ih)})
	expectFailure(t, c, "scrape", nil, bittorrent.ReasonRateLimited)

	// One token comes back every 10 s.
	mu.Lock()
	now = now.Add(10 * time.Second)
	mu.Unlock()
	c.send(announce(ih, peer, "", 0))
	expectAnnounceResponse(t, c, ih)
	c.send(announce(ih, peer, "", 0))
	expectFailure(t, c, "announce", ih, "rate limited")

	// Another connection has its own bucket.
	other := tr.dial(t)
	other.send(announce(ih, randID(), "", 0))
	expectAnnounceResponse(t, other, ih)
	if n := obs.count(signaling.LimitConnAnnounces); n != 3 {
		t.Fatalf("%d limited messages observed, want 3", n)
	}
}

func TestAnswersAreNotRateLimited(t *testing.T) {
	tr := newTracker(t, func(c *signaling.Config) { c.AnnouncesPerConn = 1; c.AnnounceInterval = time.Hour })
	ih := randID()
	a, b := tr.dial(t), tr.dial(t)
	aID, bID := randID(), randID()
	a.send(announce(ih, aID, "started", 0))
	expectAnnounceResponse(t, a, ih)
	offer := relayOne(t, ih, bID, b, a)
	// a has used its only token, yet its answer goes through.
	a.send(answerMsg(ih, aID, bID, offer.id, "v=0\r\n"))
	if m := b.next(); m.str("offer_id") != bin(offer.id) || m["answer"] == nil {
		t.Fatalf("want the answer, got %v", m)
	}
}

func TestFloodingFarOverTheLimitClosesWith1008(t *testing.T) {
	obs := &closeObserver{}
	tr := newTracker(t, func(c *signaling.Config) {
		c.AnnouncesPerConn = 5
		c.AnnounceInterval = time.Hour
		c.Observer = obs
	})
	c := tr.dial(t)
	msg := marshal(t, announce(randID(), randID(), "", 0))
	if code := c.floodUntilClosed(msg, 20); code != websocket.StatusPolicyViolation {
		t.Fatalf("close code %v, want 1008", code)
	}
	waitFor(t, func() bool { return obs.reason() == signaling.CloseRateLimited })
}

type closeObserver struct {
	nop
	r atomic.Uint32
}

func (o *closeObserver) Limited(signaling.Limit) {}
func (o *closeObserver) ConnClosed(r signaling.CloseReason) {
	o.r.Store(uint32(r))
}
func (o *closeObserver) reason() signaling.CloseReason { return signaling.CloseReason(o.r.Load()) }

func TestPolicyAllowIsAskedWithTheClientAddress(t *testing.T) {
	var mu sync.Mutex
	budget := map[netip.Addr]int{netip.MustParseAddr("192.0.2.1"): 1, netip.MustParseAddr("192.0.2.2"): 5}
	obs := &limitObserver{}
	tr := newTracker(t, func(c *signaling.Config) {
		c.ClientAddr = headerAddr
		c.Observer = obs
		c.Policy = policytest.Funcs{AllowFunc: func(tp bittorrent.Transport, a netip.Addr) bool {
			mu.Lock()
			defer mu.Unlock()
			if tp != bittorrent.TransportWS {
				t.Errorf("Allow asked for %v", tp)
			}
			budget[a]--
			return budget[a] >= 0
		}}
	})
	a := tr.dialWith(t, fromAddr("192.0.2.1"))
	b := tr.dialWith(t, fromAddr("192.0.2.2"))
	ih := randID()
	a.send(announce(ih, randID(), "started", 0))
	expectAnnounceResponse(t, a, ih)
	a.send(announce(ih, randID(), "started", 0))
	expectFailure(t, a, "announce", ih, bittorrent.ReasonRateLimited)
	b.send(announce(ih, randID(), "started", 0))
	expectAnnounceResponse(t, b, ih)
	if obs.count(signaling.LimitIPAnnounces) != 1 {
		t.Fatal("per-address refusal not observed")
	}
}

var errNotAllowed = errors.New("info_hash not allowed")

func TestPolicyAuthorizeGuardsAnnouncesAnswersAndScrapes(t *testing.T) {
	denied := randID()
	var mu sync.Mutex
	var paths []string
	actions := map[bittorrent.Action]int{}
	tr := newTracker(t, func(c *signaling.Config) {
		c.AllowFullScrape = true
		c.Policy = policytest.Funcs{AuthorizeFunc: func(tp bittorrent.Transport, action bittorrent.Action, ih bittorrent.InfoHash, path string) error {
			mu.Lock()
			paths = append(paths, tp.String()+" "+path)
			actions[action]++
			mu.Unlock()
			if string(ih[:]) == string(denied) {
				return errNotAllowed
			}
			return nil
		}}
	})
	tr.url += "/announce/some-key"
	allowed := randID()
	a, b := tr.dial(t), tr.dial(t)
	aID, bID := randID(), randID()
	a.send(announce(denied, aID, "started", 0))
	expectFailure(t, a, "announce", denied, "info_hash not allowed")
	a.send(announce(allowed, aID, "started", 0))
	expectAnnounceResponse(t, a, allowed)

	// An answer for a refused torrent is refused before it is routed.
	offer := relayOne(t, allowed, bID, b, a)
	a.send(answerMsg(denied, aID, bID, offer.id, "v=0\r\n"))
	expectFailure(t, a, "announce", denied, "info_hash not allowed")

	// Scrapes report zeros for refused hashes, and full scrapes omit them.
	a.send(map[string]any{"action": "scrape", "info_hash": []string{bin(allowed), bin(denied)}})
	m := a.next()
	files := m["files"].(map[string]any)
	if f := files[bin(allowed)].(map[string]any); f["complete"].(float64) != 1 {
		t.Fatalf("allowed hash: %v", m)
	}
	if f := files[bin(denied)].(map[string]any); f["complete"].(float64) != 0 || f["incomplete"].(float64) != 0 {
		t.Fatalf("refused hash not zero: %v", m)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range paths {
		if p != "ws /announce/some-key" {
			t.Errorf("Authorize got path %q", p)
		}
	}
	// Three announces and one answer; two scraped hashes.
	if actions[bittorrent.ActionAnnounce] != 4 || actions[bittorrent.ActionScrape] != 2 {
		t.Errorf("Authorize saw actions %v", actions)
	}
}

func TestFullScrapeLeavesRefusedHashesOut(t *testing.T) {
	var deny atomic.Pointer[[]byte]
	tr := newTracker(t, func(c *signaling.Config) {
		c.AllowFullScrape = true
		c.Policy = policytest.Funcs{AuthorizeFunc: func(_ bittorrent.Transport, _ bittorrent.Action, ih bittorrent.InfoHash, _ string) error {
			if d := deny.Load(); d != nil && string(ih[:]) == string(*d) {
				return errNotAllowed
			}
			return nil
		}}
	})
	c := tr.dial(t)
	ih1, ih2 := randID(), randID()
	c.send(announce(ih1, randID(), "started", 0))
	expectAnnounceResponse(t, c, ih1)
	c.send(announce(ih2, randID(), "started", 0))
	expectAnnounceResponse(t, c, ih2)
	deny.Store(&ih2) // denied after the swarm exists, as after a reload
	c.send(map[string]any{"action": "scrape"})
	m := c.next()
	files, _ := m["files"].(map[string]any)
	if len(files) != 1 || files[bin(ih1)] == nil {
		t.Fatalf("full scrape: %v", m)
	}
}

func TestIdleConnectionsAreClosedWith1001(t *testing.T) {
	obs := &closeObserver{}
	tr := newTracker(t, func(c *signaling.Config) {
		c.IdleTimeout = 300 * time.Millisecond
		c.PingInterval = 50 * time.Millisecond // pongs must not keep it open
		c.Observer = obs
	})
	idle := tr.dial(t)
	ih := randID()
	idle.send(announce(ih, randID(), "started", 0))
	expectAnnounceResponse(t, idle, ih)
	if code := idle.closed(); code != websocket.StatusGoingAway {
		t.Fatalf("close code %v, want 1001", code)
	}
	err := idle.ended()
	if !strings.Contains(err.Error(), "idle") {
		t.Fatalf("close reason: %v", err)
	}
	waitFor(t, func() bool { return obs.reason() == signaling.CloseIdle })
}

func TestIdleTimeoutCountsOnlyClientMessages(t *testing.T) {
	tr := newTracker(t, func(c *signaling.Config) { c.IdleTimeout = 2 * time.Second })
	c := tr.dial(t)
	ih := randID()
	// Messages well inside the timeout, for longer than the timeout.
	for range 15 {
		c.send(map[string]any{"action": "scrape", "info_hash": bin(ih)})
		if m := c.next(); m.str("action") != "scrape" {
			t.Fatalf("want a scrape response, got %v", m)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if tr.h.Conns() != 1 {
		t.Fatal("a busy connection was closed as idle")
	}
}
