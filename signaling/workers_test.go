package signaling_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/signalstore"
	"github.com/swarmbridge/swarmbridge/internal/swarm/memory"
	"github.com/swarmbridge/swarmbridge/signaling"
)

// slowSwarms is a store across a network, made up: it says it may block,
// applies every call to a memory store first, then waits as long as
// delay says and, while the gate is shut, until it opens or the call's
// context ends (the store took the call, the reply is late or lost).
type slowSwarms struct {
	signaling.Swarms
	delay func() time.Duration // nil: none

	mu   sync.Mutex
	gate chan struct{} // nil: open

	inFlight, maxInFlight atomic.Int32
	leaves                atomic.Int32
	// order records "leave" and "closed" (from the observer) as they
	// happen.
	order *events
}

type events struct {
	mu  sync.Mutex
	evs []string
}

func (e *events) add(ev string) {
	e.mu.Lock()
	e.evs = append(e.evs, ev)
	e.mu.Unlock()
}

func (e *events) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.evs...)
}

func newSlowSwarms() *slowSwarms {
	return &slowSwarms{
		Swarms: signalstore.New(memory.New(memory.Options{}), 5*time.Minute),
		order:  &events{},
	}
}

func (s *slowSwarms) MayBlock() bool { return true }

// shut makes calls wait until open.
func (s *slowSwarms) shut() {
	s.mu.Lock()
	s.gate = make(chan struct{})
	s.mu.Unlock()
}

func (s *slowSwarms) open() {
	s.mu.Lock()
	if s.gate != nil {
		close(s.gate)
		s.gate = nil
	}
	s.mu.Unlock()
}

func (s *slowSwarms) wait(ctx context.Context) error {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxInFlight.Load()
		if n <= m || s.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	if s.delay != nil {
		select {
		case <-time.After(s.delay()):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	gate := s.gate
	s.mu.Unlock()
	if gate == nil {
		return nil
	}
	select {
	case <-gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *slowSwarms) Announce(ctx context.Context, a *signaling.Announce, targets []signaling.Target) (bittorrent.Counts, []signaling.Target, error) {
	c, targets, err := s.Swarms.Announce(ctx, a, targets)
	if werr := s.wait(ctx); werr != nil {
		return bittorrent.Counts{}, targets[:0], werr
	}
	return c, targets, err
}

func (s *slowSwarms) Scrape(ctx context.Context, hashes []bittorrent.InfoHash, dst []bittorrent.Counts) ([]bittorrent.Counts, error) {
	out, err := s.Swarms.Scrape(ctx, hashes, dst)
	if werr := s.wait(ctx); werr != nil {
		return dst, werr
	}
	return out, err
}

func (s *slowSwarms) Leave(ctx context.Context, ih bittorrent.InfoHash, peer bittorrent.PeerID, conn signaling.ConnID) error {
	err := s.Swarms.Leave(ctx, ih, peer, conn)
	s.leaves.Add(1)
	s.order.add("leave")
	return err
}

// closeRecorder remembers close reasons, and notes each close in order.
type closeRecorder struct {
	nop
	order   *events
	reasons chan signaling.CloseReason
}

func (o *closeRecorder) Limited(signaling.Limit) {}

func (o *closeRecorder) ConnClosed(r signaling.CloseReason) {
	o.order.add("closed")
	o.reasons <- r
}

// Messages from many connections wait on the store at the same time (so a
// pipelining store shares its round trips between them), yet every
// connection gets its answers in the order it asked, even with fewer
// workers than connections.
func TestWorkersKeepEachConnectionsOrder(t *testing.T) {
	store := newSlowSwarms()
	store.delay = func() time.Duration { return time.Duration(rand.IntN(2000)) * time.Microsecond }
	tr := newTracker(t, func(c *signaling.Config) {
		c.Swarms = store
		c.Workers = 3
	})
	const conns, perConn = 8, 40
	clients := make([]*client, conns)
	for i := range clients {
		clients[i] = tr.dial(t)
	}
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() {
			hashes := make([][]byte, perConn)
			for j := range hashes {
				hashes[j] = randID()
				if j%5 == 4 {
					c.send(map[string]any{"action": "scrape", "info_hash": bin(hashes[j])})
				} else {
					c.send(announce(hashes[j], randID(), "started", 0))
				}
			}
			for j, ih := range hashes {
				m := c.next()
				if m.str("action") == "scrape" {
					if _, ok := m["files"].(map[string]any)[bin(ih)]; !ok || j%5 != 4 {
						t.Errorf("reply %d: a scrape reply out of order: %v", j, m)
						return
					}
					continue
				}
				if m.str("info_hash") != bin(ih) || j%5 == 4 {
					t.Errorf("reply %d is for another message: %v", j, m)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := store.maxInFlight.Load(); n < 2 || n > 3 {
		t.Fatalf("at most %d store calls at once; want 2 or 3 (Workers=3)", n)
	}
}

// A client that sends faster than the store answers fills its inbox and
// is closed with 1008 and a reason it can read; the close is counted as
// inbox_full. Other connections are not affected.
func TestAFloodedInboxClosesWith1008(t *testing.T) {
	store := newSlowSwarms()
	obs := &closeRecorder{order: store.order, reasons: make(chan signaling.CloseReason, 4)}
	tr := newTracker(t, func(c *signaling.Config) {
		c.Swarms = store
		c.Observer = obs
		c.InboxLen = 8
	})
	other := tr.dial(t)
	ih := randID()
	other.send(announce(ih, randID(), "started", 0))
	expectAnnounceResponse(t, other, ih)

	store.shut()
	c := tr.dial(t)
	for range 12 {
		// The tracker closes the connection in the middle: later writes
		// may fail.
		b, _ := json.Marshal(announce(randID(), randID(), "started", 0))
		if c.ws.Write(context.Background(), websocket.MessageText, b) != nil {
			break
		}
	}
	code, reason := closeStatus(t, c)
	if code != websocket.StatusPolicyViolation || reason != "too many messages waiting" {
		t.Fatalf("close %v %q, want 1008 \"too many messages waiting\"", code, reason)
	}
	store.open()
	select {
	case r := <-obs.reasons:
		if r != signaling.CloseInboxFull || r.String() != "inbox_full" {
			t.Fatalf("close counted as %v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the close was not counted")
	}
	other.send(announce(ih, randID(), "started", 0))
	if m := expectAnnounceResponse(t, other, ih); m.num("complete") != 2 {
		t.Fatalf("the other connection sees %v", m)
	}
}

// closeStatus waits for the server's close and returns its code and
// reason.
func closeStatus(t *testing.T, c *client) (websocket.StatusCode, string) {
	t.Helper()
	err := c.ended()
	var ce websocket.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("connection ended without a close frame: %v", err)
	}
	return ce.Code, ce.Reason
}

// When a connection ends while its announce waits on the store, the poller
// does not wait: the call is cancelled, and a worker removes the peer (which
// the store had taken) before the close is counted.
func TestConnectionEndCancelsTheStoreCallAndLeavesFirst(t *testing.T) {
	store := newSlowSwarms()
	obs := &closeRecorder{order: store.order, reasons: make(chan signaling.CloseReason, 4)}
	tr := newTracker(t, func(c *signaling.Config) {
		c.Swarms = store
		c.Observer = obs
	})
	watcher := tr.dial(t)
	ih := randID()
	store.shut()
	c := tr.dial(t)
	c.send(announce(ih, randID(), "started", 0))
	waitFor(t, func() bool { return store.inFlight.Load() == 1 })
	start := time.Now()
	_ = c.ws.Close(websocket.StatusNormalClosure, "bye")
	select {
	case <-obs.reasons:
	case <-time.After(5 * time.Second):
		t.Fatal("the close was not counted while the store hangs")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("closing took %v", d)
	}
	if got := store.order.list(); len(got) != 2 || got[0] != "leave" || got[1] != "closed" {
		t.Fatalf("events %v, want the peer to leave before the close is counted", got)
	}
	store.open()
	if _, in, _ := scrapeCounts(t, watcher, ih); in != 0 {
		t.Fatalf("the closed connection's peer is still counted: %d leechers", in)
	}
}

// A store that hangs holds up only the messages that need it: pings are
// answered, and answers reach their offerers, also on the connection whose
// announce waits.
func TestAHungStoreDoesNotStallPingsOrAnswers(t *testing.T) {
	store := newSlowSwarms()
	tr := newTracker(t, func(c *signaling.Config) { c.Swarms = store })
	ih := randID()
	a, b := tr.dial(t), tr.dial(t)
	aID, bID := randID(), randID()
	a.send(announce(ih, aID, "started", 0))
	expectAnnounceResponse(t, a, ih)
	offers := newOffers(1)
	b.send(announce(ih, bID, "started", 100, offers...))
	expectAnnounceResponse(t, b, ih)
	if o := a.next(); o.str("offer_id") != bin(offers[0].id) {
		t.Fatalf("want the offer, got %v", o)
	}

	store.shut()
	defer store.open()
	hung := tr.dial(t)
	hung.send(announce(randID(), randID(), "started", 0))
	waitFor(t, func() bool { return store.inFlight.Load() == 1 })

	for _, c := range []*client{hung, a, b} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.ws.Ping(ctx)
		cancel()
		if err != nil {
			t.Fatalf("ping while the store hangs: %v", err)
		}
	}
	a.send(answerMsg(ih, aID, bID, offers[0].id, "v=0"))
	// Within a second: the store hangs far longer.
	if m := b.Next(time.Second); m["answer"] == nil {
		t.Fatalf("want the answer while the store hangs, got %v", m)
	}
}

// Shutdown does not wait for a hung store longer than its context allows,
// and leaves no goroutine behind (TestMain checks).
func TestShutdownDoesNotWaitForAHungStore(t *testing.T) {
	store := newSlowSwarms()
	h, err := signaling.New(signaling.Config{Swarms: store})
	if err != nil {
		t.Fatal(err)
	}
	tr := serve(t, h)
	store.shut()
	defer store.open()
	c := tr.dial(t)
	for range 3 {
		c.send(announce(randID(), randID(), "started", 0))
	}
	waitFor(t, func() bool { return store.inFlight.Load() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_ = h.Shutdown(ctx)
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Shutdown took %v", d)
	}
	if code := c.closed(); code != websocket.StatusGoingAway {
		t.Fatalf("close code %v, want 1001", code)
	}
}

// serve serves h on a loopback port until the test ends; the test shuts
// h down itself.
func serve(t *testing.T, h *signaling.Handler) *tracker {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &tracker{url: "ws" + strings.TrimPrefix(srv.URL, "http"), addr: srv.Listener.Addr().String(), h: h}
}
