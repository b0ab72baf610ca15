package signaling_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling"
)

// recorder is an Observer that remembers what it was told.
type recorder struct {
	mu       sync.Mutex
	handled  []string // "action/event"
	failures []bittorrent.FailureCode
	drops    map[signaling.DropReason]int
	relayed  int
}

func (r *recorder) ConnOpened()                      {}
func (r *recorder) ConnClosed(signaling.CloseReason) {}
func (r *recorder) Limited(signaling.Limit)          {}
func (r *recorder) AnswerRelayed()                   {}

func (r *recorder) Handled(m signaling.Message, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handled = append(r.handled, m.ActionLabel()+"/"+m.EventLabel())
}

func (r *recorder) Failure(c bittorrent.FailureCode) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, c)
}

func (r *recorder) OfferRelayed() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.relayed++
}

func (r *recorder) Dropped(d signaling.DropReason) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.drops == nil {
		r.drops = map[signaling.DropReason]int{}
	}
	r.drops[d]++
}

func (r *recorder) dropped(d signaling.DropReason) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.drops[d]
}

// Every message is reported with typed labels from a bounded set, and
// every failure with its code, never its text.
func TestObserverGetsTypedLabelsAndFailureCodes(t *testing.T) {
	obs := &recorder{}
	tr := newTracker(t, func(c *signaling.Config) { c.Observer = obs })
	c := tr.dial(t)
	ih, peer := randID(), randID()
	for _, ev := range []string{"started", "", "paused", "dance", "completed", "stopped"} {
		c.send(announce(ih, peer, ev, 0))
		expectAnnounceResponse(t, c, ih)
	}
	c.sendRaw(websocket.MessageText, []byte(`{"action":"announce"`))
	expectFailure(t, c, "announce", nil, "invalid JSON")
	c.send(map[string]any{"action": "ping"})
	expectFailure(t, c, "announce", nil, "unknown action")
	c.send(answerMsg(ih, peer, randID(), randID(), "v=0"))
	expectFailure(t, c, "announce", ih, "could not find the offer")
	c.sync() // a scrape

	obs.mu.Lock()
	defer obs.mu.Unlock()
	want := []string{
		"announce/started", "announce/update", "announce/paused", "announce/unknown", "announce/completed", "announce/stopped",
		"invalid/", "invalid/", "answer/", "scrape/",
	}
	if strings.Join(obs.handled, " ") != strings.Join(want, " ") {
		t.Errorf("handled %v\nwant    %v", obs.handled, want)
	}
	wantCodes := []bittorrent.FailureCode{bittorrent.FailureMalformed, bittorrent.FailureUnknownAction, bittorrent.FailureNoOffer}
	if len(obs.failures) != len(wantCodes) {
		t.Fatalf("failures %v, want %v", obs.failures, wantCodes)
	}
	for i, code := range wantCodes {
		if obs.failures[i] != code {
			t.Errorf("failure %d: %v, want %v", i, obs.failures[i], code)
		}
	}
	if obs.drops[signaling.DropNoOffer] != 1 {
		t.Errorf("drops %v, want one no_offer", obs.drops)
	}
}

// An offer to a peer whose send queue is full is counted as queue_full
// (the peer is dropped as a slow consumer); later offers to it, once it is
// gone, as target_gone.
func TestAFullQueueIsCountedAsQueueFull(t *testing.T) {
	obs := &recorder{}
	tr := newTracker(t, func(c *signaling.Config) {
		c.Observer = obs
		c.SendQueueLen = 8
	})
	floodSlowPeer(t, tr, randID(), func() bool { return obs.dropped(signaling.DropQueueFull) > 0 })
	waitFor(t, func() bool { return tr.h.Conns() == 1 })
	if n := obs.dropped(signaling.DropQueueFull); n != 1 {
		t.Fatalf("%d offers counted as queue_full, want 1 (the one that found the queue full); drops: %v", n, obs.drops)
	}
}
