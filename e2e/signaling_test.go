package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/testkit/wtpeer"
	"github.com/swarmbridge/swarmbridge/trackerclient"
)

// trickyInfoHash returns an info hash whose binary string needs every JSON
// form of docs/protocol.md §3.2: a quote, a backslash, control bytes (short
// and \u escapes), DEL, bytes ≥ 0x80 (two-byte UTF-8) and a random tail.
func trickyInfoHash() wtpeer.ID {
	var ih wtpeer.ID
	n := copy(ih[:], []byte{'"', '\\', 0x00, 0x1c, '\b', '\n', 0x7f, 0x80, 0xa9, 0xff, '<', '&'})
	_, _ = rand.Read(ih[n:])
	return ih
}

func int64p(v int64) *int64 { return &v }

// announceAndWait sends an announce and returns its response.
func announceAndWait(ctx context.Context, t *testing.T, p *wtpeer.Peer, o wtpeer.AnnounceOptions) *trackerclient.AnnounceResponse {
	t.Helper()
	resp, err := p.Announce(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// checkCounts checks an announce response's interval and swarm counts
// (that the keys are there at all, the peer's audit checks).
func checkCounts(t *testing.T, who string, resp *trackerclient.AnnounceResponse, complete, incomplete int) {
	t.Helper()
	if resp.Interval <= 0 {
		t.Errorf("%s: announce response has no positive integer interval", who)
	}
	if resp.Counts.Complete != complete || resp.Counts.Incomplete != incomplete {
		t.Errorf("%s: announce response counts complete=%d incomplete=%d, want %d and %d",
			who, resp.Counts.Complete, resp.Counts.Incomplete, complete, incomplete)
	}
}

// sendAll writes data in 16 KiB messages, keeping at most 1 MiB buffered in
// the SCTP association and resuming when the buffer drains below 256 KiB.
func sendAll(ctx context.Context, dc *webrtc.DataChannel, data []byte) error {
	const (
		chunk = 16 << 10
		high  = 1 << 20
		low   = 256 << 10
	)
	drained := make(chan struct{}, 1)
	dc.SetBufferedAmountLowThreshold(low)
	dc.OnBufferedAmountLow(func() {
		select {
		case drained <- struct{}{}:
		default:
		}
	})
	for off := 0; off < len(data); off += chunk {
		for dc.BufferedAmount() > high {
			// The timer only guards against a signal that fired between
			// the check and the wait; it never decides the outcome.
			select {
			case <-drained:
			case <-time.After(time.Second):
			case <-ctx.Done():
				return fmt.Errorf("sending at offset %d: %w", off, ctx.Err())
			}
		}
		end := min(off+chunk, len(data))
		if err := dc.Send(data[off:end]); err != nil {
			return fmt.Errorf("sending at offset %d: %w", off, err)
		}
	}
	return nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func TestTwoPeersTransferOneMiBEachWay(t *testing.T) {
	const size = 1 << 20
	trk := startTracker(t)
	tr := wtpeer.NewTranscript(t)
	// Generous: under -race on a busy 2-core machine pion's SCTP moves
	// only ~100 KB/s. The test never asserts on speed.
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	start := time.Now()

	ih := trickyInfoHash()
	onOpenA, openedA := wtpeer.OpenedLinks()
	onOpenB, openedB := wtpeer.OpenedLinks()
	idA := wtpeer.WebTorrentPeerID()
	idB := wtpeer.NewID() // arbitrary bytes, as other clients may send
	a := wtpeer.Dial(ctx, t, trk.WSURL(), tr, wtpeer.Options{Name: "A", InfoHash: ih, PeerID: idA, OnOpen: onOpenA})
	b := wtpeer.Dial(ctx, t, trk.WSURL(), tr, wtpeer.Options{Name: "B", InfoHash: ih, PeerID: idB, OnOpen: onOpenB})

	// A joins first as a seeder; its offers find nobody. B joins as a
	// magnet-link leecher ("left": null) and its offers reach A.
	checkCounts(t, "A", announceAndWait(ctx, t, a, wtpeer.AnnounceOptions{Event: bittorrent.EventStarted, Left: int64p(0), Offers: 5}), 1, 0)
	checkCounts(t, "B", announceAndWait(ctx, t, b, wtpeer.AnnounceOptions{Event: bittorrent.EventStarted, Left: nil, Offers: 5}), 1, 1)

	la := wtpeer.WaitOpened(ctx, t, "A", openedA)
	lb := wtpeer.WaitOpened(ctx, t, "B", openedB)
	t.Logf("data channel open on both sides after %s", time.Since(start).Round(time.Millisecond))
	if la.Initiator() || !lb.Initiator() || la.OfferID() != lb.OfferID() {
		t.Fatalf("links do not match: A has %s, B has %s", la, lb)
	}
	if r, _ := la.Remote(); r != idB {
		t.Errorf("A's link is to %s, want B %s", r, idB)
	}
	if r, _ := lb.Remote(); r != idA {
		t.Errorf("B's link is to %s, want A %s", r, idA)
	}
	if offers := a.ReceivedOffers(); len(offers) != 1 || offers[0].From != idB {
		t.Errorf("A received offers %v, want exactly one from B", offers)
	}
	if offers := b.ReceivedOffers(); len(offers) != 0 {
		t.Errorf("B received %d offers, want none (it joined last)", len(offers))
	}

	dataA, dataB := randomBytes(size), randomBytes(size)
	transferStart := time.Now()
	var wg sync.WaitGroup
	var errA, errB error
	wg.Go(func() { errA = sendAll(ctx, la.DataChannel(), dataA) })
	wg.Go(func() { errB = sendAll(ctx, lb.DataChannel(), dataB) })
	atB, errAtB := lb.WaitBytes(ctx, size)
	atA, errAtA := la.WaitBytes(ctx, size)
	wg.Wait()
	for _, err := range []error{errA, errB, errAtA, errAtB} {
		if err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		t.Logf("A: %s\nB: %s", la.State(), lb.State())
		wtpeer.CheckNoProblems(t, a, b)
		t.FailNow()
	}
	t.Logf("moved %d bytes each way in %s", size, time.Since(transferStart).Round(time.Millisecond))

	for _, c := range []struct {
		dir       string
		sent, got []byte
	}{{"A→B", dataA, atB}, {"B→A", dataB, atA}} {
		if len(c.got) != len(c.sent) {
			t.Errorf("%s: received %d bytes, sent %d", c.dir, len(c.got), len(c.sent))
		}
		if sha256.Sum256(c.got) != sha256.Sum256(c.sent) || !bytes.Equal(c.got, c.sent) {
			t.Errorf("%s: received bytes differ from the sent ones (sha256 %x, want %x)",
				c.dir, sha256.Sum256(c.got), sha256.Sum256(c.sent))
		}
	}
	wtpeer.CheckNoProblems(t, a, b)
}

// helloText is what each side of a link sends first.
func helloText(from, to, offerID wtpeer.ID) string {
	return fmt.Sprintf("hello from %s to %s on offer %s", from, to, offerID)
}

// offeredPair is one offer the tracker delivered: offerer → answerer.
type offeredPair struct {
	offerer, answerer int
	offerID           wtpeer.ID
}

func TestTwentyPeersEveryOfferedPairConnects(t *testing.T) {
	const (
		nPeers  = 20
		nOffers = 5
	)
	trk := startTracker(t)
	tr := wtpeer.NewTranscript(t)
	// Generous: 185 PeerConnections with DTLS handshakes under -race on a
	// busy 2-core machine. The test never asserts on speed.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Second)
	defer cancel()
	start := time.Now()

	// Every side greets the other as soon as its data channel opens.
	sayHello := func(l *wtpeer.Link) {
		remote, ok := l.Remote()
		if !ok {
			l.Owner().Problem("data channel of offer %s opened with no known remote peer", l.OfferID())
			return
		}
		if err := l.DataChannel().SendText(helloText(l.Owner().PeerID(), remote, l.OfferID())); err != nil {
			l.Owner().Problem("sending hello on offer %s: %v", l.OfferID(), err)
		}
	}

	ih := wtpeer.NewID()
	peers := make([]*wtpeer.Peer, nPeers)
	index := make(map[wtpeer.ID]int)
	var seeders, leechers int
	expectedOffers := 0
	for i := range peers {
		id := wtpeer.WebTorrentPeerID()
		if i%2 == 1 {
			id = wtpeer.NewID()
		}
		if _, dup := index[id]; dup {
			t.Fatalf("duplicate random peer id %s", id)
		}
		index[id] = i
		peers[i] = wtpeer.Dial(ctx, t, trk.WSURL(), tr, wtpeer.Options{
			Name: fmt.Sprintf("p%02d", i+1), InfoHash: ih, PeerID: id, OnOpen: sayHello,
		})
		left := int64p(1 << 20)
		if i%3 == 0 {
			left = int64p(0)
			seeders++
		} else {
			leechers++
		}
		// The next peer joins only after this one's announce was answered,
		// so every earlier peer is in the swarm when a peer's offers go out.
		resp := announceAndWait(ctx, t, peers[i], wtpeer.AnnounceOptions{Event: bittorrent.EventStarted, Left: left, Offers: nOffers})
		checkCounts(t, peers[i].Name(), resp, seeders, leechers)
		expectedOffers += min(nOffers, i)
	}
	t.Logf("%d peers joined after %s", nPeers, time.Since(start).Round(time.Millisecond))

	// collect gathers every offer an answerer received.
	collect := func() []offeredPair {
		var pairs []offeredPair
		for ai, p := range peers {
			for _, o := range p.ReceivedOffers() {
				oi, ok := index[o.From]
				if !ok {
					oi = -1
				}
				pairs = append(pairs, offeredPair{offerer: oi, answerer: ai, offerID: o.OfferID})
			}
		}
		return pairs
	}
	// greeted reports whether l received the hello of its remote side.
	greeted := func(l *wtpeer.Link, from, to wtpeer.ID) bool {
		if l == nil {
			return false
		}
		want := helloText(from, to, l.OfferID())
		for _, m := range l.Messages() {
			if string(m) == want {
				return true
			}
		}
		return false
	}
	pairDone := func(pr offeredPair) bool {
		if pr.offerer < 0 {
			return false
		}
		o, a := peers[pr.offerer], peers[pr.answerer]
		lo, la := o.LinkByOffer(pr.offerID), a.LinkByOffer(pr.offerID)
		return greeted(lo, a.PeerID(), o.PeerID()) && greeted(la, o.PeerID(), a.PeerID())
	}

	var pairs []offeredPair
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		pairs = collect()
		done := len(pairs) >= expectedOffers
		for _, pr := range pairs {
			done = done && pairDone(pr)
		}
		if done {
			break
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			break wait
		}
	}
	t.Logf("%d offered pairs, all checks done after %s (%d goroutines in the test process)",
		len(pairs), time.Since(start).Round(time.Millisecond), runtime.NumGoroutine())

	if len(pairs) == 0 {
		t.Fatal("no peer received any offer")
	}
	// docs/protocol.md §7.1: each announce with n offers reaches
	// min(n, others) distinct peers, so with sequential joins peer i
	// (0-based) is offered to min(5, i) earlier peers.
	if len(pairs) != expectedOffers {
		t.Errorf("peers received %d offers in total, want %d", len(pairs), expectedOffers)
	}
	perOfferer := make(map[int]int)
	seen := make(map[[2]int]wtpeer.ID)
	var failed []string
	for _, pr := range pairs {
		a := peers[pr.answerer]
		if pr.offerer < 0 {
			t.Errorf("%s received offer %s from a peer id that is not in the swarm", a.Name(), pr.offerID)
			continue
		}
		o := peers[pr.offerer]
		if pr.offerer == pr.answerer {
			t.Errorf("%s received its own offer %s", a.Name(), pr.offerID)
			continue
		}
		perOfferer[pr.offerer]++
		if prev, dup := seen[[2]int{pr.offerer, pr.answerer}]; dup {
			t.Errorf("%s received two offers of %s (%s and %s); targets of one announce must be distinct",
				a.Name(), o.Name(), prev, pr.offerID)
		}
		seen[[2]int{pr.offerer, pr.answerer}] = pr.offerID
		if ol := o.LinkByOffer(pr.offerID); ol == nil || !ol.Initiator() {
			t.Errorf("%s received offer %s from %s, which %s never made", a.Name(), pr.offerID, o.Name(), o.Name())
			continue
		}
		if !pairDone(pr) {
			failed = append(failed, fmt.Sprintf("%s→%s offer %s:\n    offerer %s\n    answerer %s",
				o.Name(), a.Name(), pr.offerID, o.LinkByOffer(pr.offerID).State(), a.LinkByOffer(pr.offerID).State()))
		}
	}
	for i, p := range peers {
		if got, want := perOfferer[i], min(nOffers, i); got != want {
			t.Errorf("%s's offers reached %d peers, want %d", p.Name(), got, want)
		}
	}
	if len(failed) > 0 {
		sort.Strings(failed)
		t.Errorf("%d of %d offered pairs did not open a data channel and greet both ways:\n  %s",
			len(failed), len(pairs), strings.Join(failed, "\n  "))
	}
	wtpeer.CheckNoProblems(t, peers...)
}
