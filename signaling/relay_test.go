package signaling_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/swarmbridge/swarmbridge/signaling"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// offersReceived collects the offer relays among msgs.
func offersReceived(msgs []msg) []msg {
	var out []msg
	for _, m := range msgs {
		if _, ok := m["offer"]; ok {
			out = append(out, m)
		}
	}
	return out
}

func TestFanOutSendsOneOfferPerPeerNeverToSelf(t *testing.T) {
	tr := newTracker(t, nil)
	ih := randID()
	peers := make([]*client, 3)
	ids := make([][]byte, 3)
	for i := range peers {
		peers[i] = tr.dial(t)
		ids[i] = randID()
		peers[i].send(announce(ih, ids[i], "started", 1000))
		expectAnnounceResponse(t, peers[i], ih)
	}

	d := tr.dial(t)
	dID := randID()
	offers := newOffers(2)
	d.send(announce(ih, dID, "started", 1000, offers...))
	resp := expectAnnounceResponse(t, d, ih)
	if resp.num("incomplete") != 4 || resp.num("complete") != 0 {
		t.Fatalf("counts after join: %v", resp)
	}
	if got := d.sync(); len(got) != 0 {
		t.Fatalf("the announcer got messages besides its response (its own offers?): %v", got)
	}

	seen := map[string]bool{}
	total := 0
	for i, p := range peers {
		got := offersReceived(p.sync())
		if len(got) > 1 {
			t.Fatalf("peer %d got %d offers from one announce, want at most 1", i, len(got))
		}
		for _, o := range got {
			total++
			if !bytes.Equal(unbin(t, o.str("peer_id")), dID) || o.str("info_hash") != bin(ih) || o.str("action") != "announce" {
				t.Fatalf("offer relay has wrong ids: %v", o)
			}
			oid := o.str("offer_id")
			if seen[oid] {
				t.Fatalf("offer %x relayed twice", oid)
			}
			seen[oid] = true
			var want *offer
			for j := range offers {
				if bin(offers[j].id) == oid {
					want = &offers[j]
				}
			}
			if want == nil {
				t.Fatalf("relayed an offer id that was never sent: %x", oid)
			}
			body := o["offer"].(map[string]any)
			if body["type"] != "offer" || body["sdp"] != want.sdp {
				t.Fatalf("offer body changed in relay: %v", body)
			}
		}
	}
	if total != 2 {
		t.Fatalf("2 offers among 3 peers: %d relayed", total)
	}
}

func TestSurplusOffersAreDroppedNotRepeated(t *testing.T) {
	tr := newTracker(t, nil)
	ih := randID()
	a, b := tr.dial(t), tr.dial(t)
	aID, bID := randID(), randID()
	a.send(announce(ih, aID, "started", 0))
	expectAnnounceResponse(t, a, ih)
	b.send(announce(ih, bID, "started", 5, newOffers(5)...))
	expectAnnounceResponse(t, b, ih)
	b.sync()
	if got := offersReceived(a.sync()); len(got) != 1 {
		t.Fatalf("one other peer, five offers: it got %d, want 1", len(got))
	}
}

func TestMaxOffersCapsFanOut(t *testing.T) {
	tr := newTracker(t, func(c *signaling.Config) { c.MaxOffers = 2 })
	ih := randID()
	var peers []*client
	for range 4 {
		p := tr.dial(t)
		p.send(announce(ih, randID(), "started", 1))
		expectAnnounceResponse(t, p, ih)
		peers = append(peers, p)
	}
	x := tr.dial(t)
	x.send(announce(ih, randID(), "started", 1, newOffers(4)...))
	expectAnnounceResponse(t, x, ih)
	x.sync()
	total := 0
	for _, p := range peers {
		total += len(offersReceived(p.sync()))
	}
	if total != 2 {
		t.Fatalf("MaxOffers=2 with 4 offers and 4 peers: %d relayed", total)
	}
}

func TestAnswerRoutedBackToOfferer(t *testing.T) {
	tr := newTracker(t, nil)
	ih := randID()
	a, b := tr.dial(t), tr.dial(t)
	aID, bID := randID(), randID()
	a.send(announce(ih, aID, "started", 0))
	expectAnnounceResponse(t, a, ih)
	offers := newOffers(1)
	b.send(announce(ih, bID, "started", 100, offers...))
	expectAnnounceResponse(t, b, ih)

	o := a.next()
	if o.str("offer_id") != bin(offers[0].id) {
		t.Fatalf("want the offer, got %v", o)
	}
	const sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\na=answer-with-\u00e9-and-\"quotes\"\r\n"
	a.send(answerMsg(ih, aID, bID, offers[0].id, sdp))
	if extra := a.sync(); len(extra) != 0 {
		t.Fatalf("the answerer got a reply to its answer: %v", extra)
	}
	ans := b.next()
	body, _ := ans["answer"].(map[string]any)
	if ans.str("action") != "announce" || ans.str("info_hash") != bin(ih) ||
		!bytes.Equal(unbin(t, ans.str("peer_id")), aID) || ans.str("offer_id") != bin(offers[0].id) ||
		body["type"] != "answer" || body["sdp"] != sdp {
		t.Fatalf("answer relay wrong: %v", ans)
	}

	// The same offer cannot be answered twice, and an answer is not an
	// announce: the answerer's seeder status is unchanged.
	a.send(answerMsg(ih, aID, bID, offers[0].id, sdp))
	expectFailure(t, a, "announce", ih, "offer")
	if c, i, _ := scrapeCounts(t, a, ih); c != 1 || i != 1 {
		t.Fatalf("counts after answers: complete %d incomplete %d, want 1 1", c, i)
	}
}

func TestAnswersToUnknownOffersAreRefused(t *testing.T) {
	tr := newTracker(t, nil)
	ih := randID()
	a, b, m := tr.dial(t), tr.dial(t), tr.dial(t)
	aID, bID, mID := randID(), randID(), randID()
	a.send(announce(ih, aID, "started", 0))
	expectAnnounceResponse(t, a, ih)
	offer := relayOne(t, ih, bID, b, a)

	// m never got the offer, yet claims to answer it.
	m.send(answerMsg(ih, mID, bID, offer.id, "v=0\r\n"))
	expectFailure(t, m, "announce", ih, "offer")
	// a answers with the wrong offerer.
	a.send(answerMsg(ih, aID, mID, offer.id, "v=0\r\n"))
	expectFailure(t, a, "announce", ih, "offer")
	// a answers in another swarm.
	other := randID()
	a.send(answerMsg(other, aID, bID, offer.id, "v=0\r\n"))
	expectFailure(t, a, "announce", other, "offer")
	if got := b.sync(); len(got) != 0 {
		t.Fatalf("forged answers reached the offerer: %v", got)
	}
}

func TestAnswersExpireWithTheOffer(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	tr := newTracker(t, func(c *signaling.Config) { c.Now = clock; c.OfferTTL = time.Minute })
	ih := randID()
	a, b := tr.dial(t), tr.dial(t)
	aID, bID := randID(), randID()
	a.send(announce(ih, aID, "started", 0))
	expectAnnounceResponse(t, a, ih)
	offer := relayOne(t, ih, bID, b, a)
	mu.Lock()
	now = now.Add(61 * time.Second)
	mu.Unlock()
	a.send(answerMsg(ih, aID, bID, offer.id, "v=0\r\n"))
	expectFailure(t, a, "announce", ih, "expired")
}

func TestScrape(t *testing.T) {
	tr := newTracker(t, nil)
	ih1, ih2, unknown := randID(), randID(), randID()
	c := tr.dial(t)
	c.send(announce(ih1, randID(), "started", 0))
	expectAnnounceResponse(t, c, ih1)
	c.send(announce(ih1, randID(), "started", nil))
	expectAnnounceResponse(t, c, ih1)
	c.send(announce(ih2, randID(), "started", 7))
	expectAnnounceResponse(t, c, ih2)

	c.send(map[string]any{"action": "scrape", "info_hash": []string{bin(ih1), bin(ih2), bin(unknown)}})
	m := c.next()
	files, _ := m["files"].(map[string]any)
	if m.str("action") != "scrape" || len(files) != 3 {
		t.Fatalf("scrape of three: %v", m)
	}
	check := func(ih []byte, complete, incomplete int) {
		f := files[bin(ih)].(map[string]any)
		if int(f["complete"].(float64)) != complete || int(f["incomplete"].(float64)) != incomplete || f["downloaded"] == nil {
			t.Errorf("%x: %v, want complete %d incomplete %d", ih, f, complete, incomplete)
		}
	}
	check(ih1, 1, 1) // left null is a leecher, not a seeder
	check(ih2, 0, 1)
	check(unknown, 0, 0)

	// An empty list is a keepalive some apps send: answer it, do not fail.
	c.send(map[string]any{"action": "scrape", "info_hash": []string{}})
	m = c.next()
	if m.str("action") != "scrape" || m["failure reason"] != nil || len(m["files"].(map[string]any)) != 0 {
		t.Fatalf("empty scrape: %v", m)
	}
	// No info_hash at all is a full scrape, refused by default.
	c.send(map[string]any{"action": "scrape"})
	expectFailure(t, c, "scrape", nil, "full scrape")
}

func TestEvents(t *testing.T) {
	tr := newTracker(t, nil)
	ih := randID()
	c := tr.dial(t)
	p := randID()

	// An update from an unknown peer creates it (clients announce without
	// an event after reconnecting).
	c.send(announce(ih, p, "", 100))
	expectAnnounceResponse(t, c, ih)
	if co, in, _ := scrapeCounts(t, c, ih); co != 0 || in != 1 {
		t.Fatalf("after update: %d/%d", co, in)
	}
	for _, ev := range []string{"paused", "<regular>", "update"} {
		c.send(announce(ih, p, ev, 100))
		expectAnnounceResponse(t, c, ih)
	}
	c.send(announce(ih, p, "completed", 0))
	r := expectAnnounceResponse(t, c, ih)
	if r.num("complete") != 1 || r.num("incomplete") != 0 {
		t.Fatalf("counts in the completed response: %v", r)
	}
	c.send(announce(ih, p, "completed", 0))
	expectAnnounceResponse(t, c, ih)
	if co, in, dl := scrapeCounts(t, c, ih); co != 1 || in != 0 || dl != 1 {
		t.Fatalf("after two completed: %d/%d/%d, want 1/0/1", co, in, dl)
	}
	// left null keeps the seeder a seeder; a known left > 0 makes it a
	// leecher again.
	c.send(announce(ih, p, "", nil))
	expectAnnounceResponse(t, c, ih)
	if co, _, _ := scrapeCounts(t, c, ih); co != 1 {
		t.Fatalf("left null changed the status")
	}
	c.send(announce(ih, p, "", 5))
	expectAnnounceResponse(t, c, ih)
	if co, in, _ := scrapeCounts(t, c, ih); co != 0 || in != 1 {
		t.Fatalf("left 5 after seeding: %d/%d", co, in)
	}
	c.send(announce(ih, p, "stopped", 5))
	r = expectAnnounceResponse(t, c, ih)
	if r.num("complete") != 0 || r.num("incomplete") != 0 {
		t.Fatalf("stopped response counts the stopped peer: %v", r)
	}
}

func TestCloseRemovesEveryRegistrationOfTheConnection(t *testing.T) {
	tr := newTracker(t, nil)
	ih1, ih2 := randID(), randID()
	watcher := tr.dial(t)
	c := tr.dial(t)
	// Two torrents and two peer ids on one socket, as a page with two
	// WebTorrent clients does.
	for _, ih := range [][]byte{ih1, ih2} {
		for range 2 {
			c.send(announce(ih, randID(), "started", 10))
			expectAnnounceResponse(t, c, ih)
		}
	}
	if _, in, _ := scrapeCounts(t, watcher, ih1); in != 2 {
		t.Fatalf("before close: %d leechers", in)
	}
	_ = c.ws.Close(websocket.StatusNormalClosure, "bye")
	waitFor(t, func() bool {
		_, in1, _ := scrapeCounts(t, watcher, ih1)
		_, in2, _ := scrapeCounts(t, watcher, ih2)
		return in1 == 0 && in2 == 0
	})
}

func TestReconnectWithSamePeerIDKeepsThePeer(t *testing.T) {
	tr := newTracker(t, nil)
	ih := randID()
	p := randID()
	old := tr.dial(t)
	old.send(announce(ih, p, "started", 10))
	expectAnnounceResponse(t, old, ih)

	// The same peer announces on a new socket while the old one lingers.
	fresh := tr.dial(t)
	fresh.send(announce(ih, p, "", 10))
	expectAnnounceResponse(t, fresh, ih)

	// Offers for the peer now go to the new socket.
	other := tr.dial(t)
	offers := newOffers(1)
	other.send(announce(ih, randID(), "started", 10, offers...))
	expectAnnounceResponse(t, other, ih)
	other.sync()
	if got := offersReceived(fresh.sync()); len(got) != 1 {
		t.Fatalf("new socket got %d offers, want 1", len(got))
	}
	if got := offersReceived(old.sync()); len(got) != 0 {
		t.Fatalf("old socket still gets offers")
	}

	// A stopped from the stale socket and its close do not remove the
	// peer that now lives on the new socket.
	old.send(announce(ih, p, "stopped", 10))
	expectAnnounceResponse(t, old, ih)
	_ = old.ws.Close(websocket.StatusNormalClosure, "")
	old.closed()
	if _, in, _ := scrapeCounts(t, other, ih); in != 2 {
		t.Fatalf("after the stale socket closed: %d leechers, want 2", in)
	}
}

func TestBadInputGetsFailuresWithActionAndInfoHash(t *testing.T) {
	tr := newTracker(t, nil)
	c := tr.dial(t)
	ih := randID()

	c.sendRaw(websocket.MessageText, []byte(`{not json`))
	expectFailure(t, c, "announce", nil, "")
	c.sendRaw(websocket.MessageText, []byte(`[1,2,3]`))
	expectFailure(t, c, "announce", nil, "")
	c.send(map[string]any{"action": "dance", "info_hash": bin(ih)})
	expectFailure(t, c, "announce", ih, "action")
	c.send(map[string]any{"action": "announce", "info_hash": bin(ih[:19]), "peer_id": bin(randID())})
	expectFailure(t, c, "announce", nil, "info_hash")
	c.send(map[string]any{"action": "announce", "info_hash": bin(ih), "peer_id": bin(randID()[:5])})
	expectFailure(t, c, "announce", ih, "peer_id")
	c.send(map[string]any{"action": "announce", "info_hash": bin(ih), "peer_id": "\u0100" + bin(randID()[:19])})
	expectFailure(t, c, "announce", ih, "peer_id")
	c.send(map[string]any{"action": "scrape", "info_hash": []string{bin(ih), "short"}})
	expectFailure(t, c, "scrape", nil, "info_hash")
	a := answerMsg(ih, randID(), randID(), randID(), "v=0")
	delete(a, "to_peer_id")
	c.send(a)
	expectFailure(t, c, "announce", ih, "to_peer_id")

	// The connection still works, in text and in binary frames.
	c.send(announce(ih, randID(), "started", 0))
	expectAnnounceResponse(t, c, ih)
	c.sendRaw(websocket.MessageBinary, []byte(`{"action":"scrape","info_hash":"`+strings.Repeat("a", 20)+`"}`))
	if m := c.next(); m.str("action") != "scrape" {
		t.Fatalf("binary frame not answered: %v", m)
	}
}

func TestRepeatedGarbageClosesTheConnection(t *testing.T) {
	tr := newTracker(t, func(c *signaling.Config) { c.MaxInvalidPerMinute = 5 })
	c := tr.dial(t)
	if code := c.floodUntilClosed([]byte(`garbage`), 10); code != websocket.StatusPolicyViolation {
		t.Fatalf("close code %v, want 1008", code)
	}
}

// Answers are not rate limited, so answers that match no offer must count
// as invalid: otherwise a client could flood them for ever.
func TestRepeatedUnmatchedAnswersCloseTheConnection(t *testing.T) {
	tr := newTracker(t, func(c *signaling.Config) { c.MaxInvalidPerMinute = 5 })
	c := tr.dial(t)
	msg := marshal(t, answerMsg(randID(), randID(), randID(), randID(), "v=0\r\n"))
	if code := c.floodUntilClosed(msg, 10); code != websocket.StatusPolicyViolation {
		t.Fatalf("close code %v, want 1008", code)
	}
}

// With MaxMessageSize raised past the default send queue, an offer of the
// largest size allowed still reaches its target instead of dropping it as
// a slow consumer.
func TestLargestOfferReachesItsTarget(t *testing.T) {
	tr := newTracker(t, func(c *signaling.Config) { c.MaxMessageSize = 6 << 20 })
	ih := randID()
	a, b := tr.dial(t), tr.dial(t)
	a.send(announce(ih, randID(), "started", 0))
	expectAnnounceResponse(t, a, ih)
	offers := newOffers(1)
	offers[0].sdp += "a=x-padding:" + strings.Repeat("p", 5<<20) + "\r\n"
	b.send(announce(ih, randID(), "started", 10, offers...))
	expectAnnounceResponse(t, b, ih)
	o := a.next()
	sdp, _ := o["offer"].(map[string]any)["sdp"].(string)
	if o.str("offer_id") != bin(offers[0].id) || sdp != offers[0].sdp {
		t.Fatalf("offer of %d bytes not relayed intact: got %d bytes", len(offers[0].sdp), len(sdp))
	}
}

func TestOversizedMessageClosesWith1009(t *testing.T) {
	tr := newTracker(t, func(c *signaling.Config) { c.MaxMessageSize = 4096 })
	bystander := tr.dial(t)
	ih := randID()
	bystander.send(announce(ih, randID(), "started", 0))
	expectAnnounceResponse(t, bystander, ih)

	c := tr.dial(t)
	c.sendRaw(websocket.MessageText, []byte(`{"action":"announce","x":"`+strings.Repeat("x", 5000)+`"}`))
	if code := c.closed(); code != websocket.StatusMessageTooBig {
		t.Fatalf("close code %v, want 1009", code)
	}
	if co, _, _ := scrapeCounts(t, bystander, ih); co != 1 {
		t.Fatalf("a bystander's peer was harmed")
	}
}

func TestTooManyTorrentsPerConnection(t *testing.T) {
	tr := newTracker(t, func(c *signaling.Config) { c.MaxTorrentsPerConn = 2 })
	c := tr.dial(t)
	for range 2 {
		ih := randID()
		c.send(announce(ih, randID(), "started", 0))
		expectAnnounceResponse(t, c, ih)
	}
	ih := randID()
	c.send(announce(ih, randID(), "started", 0))
	expectFailure(t, c, "announce", ih, "too many torrents")
}

func TestSlowConsumerIsDroppedWithoutStallingSenders(t *testing.T) {
	tr := newTracker(t, func(c *signaling.Config) { c.SendQueueLen = 8 })
	ih := randID()
	// The sender must keep getting its responses: the slow peer's full
	// queue gets it dropped, never blocks.
	sender := floodSlowPeer(t, tr, ih, func() bool { return tr.h.Conns() == 1 })
	waitFor(t, func() bool { return tr.h.Conns() == 1 })
	// The slow peer's entry is gone: offers no longer go anywhere.
	if co, in, _ := scrapeCounts(t, sender, ih); co != 0 || in != 1 {
		t.Fatalf("after the slow seeder was dropped: %d seeders %d leechers, want 0 and 1 (the sender)", co, in)
	}
}

func TestUnansweredPingsCloseTheConnection(t *testing.T) {
	tr := newTracker(t, func(c *signaling.Config) {
		c.PingInterval = 50 * time.Millisecond
		c.PongTimeout = 100 * time.Millisecond
	})
	ok := tr.dial(t) // reads, so pongs go back automatically
	mute := tr.dialWith(t, &websocket.DialOptions{
		OnPingReceived: func(context.Context, []byte) bool { return false },
	})
	if code := mute.closed(); code != websocket.StatusGoingAway {
		t.Fatalf("mute client closed with %v, want 1001", code)
	}
	ih := randID()
	ok.send(announce(ih, randID(), "started", 0))
	expectAnnounceResponse(t, ok, ih)
}

func TestShutdownClosesWith1001(t *testing.T) {
	tr := newTracker(t, nil)
	c := tr.dial(t)
	ih := randID()
	c.send(announce(ih, randID(), "started", 0))
	expectAnnounceResponse(t, c, ih)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- tr.h.Shutdown(ctx) }()
	if code := c.closed(); code != websocket.StatusGoingAway {
		t.Fatalf("close code %v, want 1001", code)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if tr.h.Conns() != 0 {
		t.Fatalf("%d connections left after shutdown", tr.h.Conns())
	}
}

func TestBinaryIDsRelayedByteExactly(t *testing.T) {
	tr := newTracker(t, nil)
	// Ids covering every byte value, including control bytes, quote,
	// backslash and 0x80-0xFF.
	var ih, a, b, oid [20]byte
	for i := range 20 {
		ih[i] = byte(i)          // 0x00-0x13
		a[i] = byte(0x80 + i)    // high bytes
		b[i] = byte(0xEC + i%20) // up to 0xFF
		oid[i] = `"\/`[i%3] ^ byte(i&0x60)
	}
	ca, cb := tr.dial(t), tr.dial(t)
	ca.send(announce(ih[:], a[:], "started", 0))
	expectAnnounceResponse(t, ca, ih[:])
	cb.send(announce(ih[:], b[:], "started", 9, offer{id: oid[:], sdp: "v=0"}))
	expectAnnounceResponse(t, cb, ih[:])
	o := ca.next()
	if !bytes.Equal(unbin(t, o.str("peer_id")), b[:]) || !bytes.Equal(unbin(t, o.str("offer_id")), oid[:]) || !bytes.Equal(unbin(t, o.str("info_hash")), ih[:]) {
		t.Fatalf("ids changed in relay: %v", o)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A full scrape too big for the client's send queue gets a failure the
// client can read, not a disconnect as a slow consumer.
func TestFullScrapeTooLargeFailsPolitely(t *testing.T) {
	tr := newTracker(t, func(c *signaling.Config) {
		c.AllowFullScrape = true
		c.MaxMessageSize = 4096
		c.SendQueueBytes = 8192
	})
	c := tr.dial(t)
	for range 100 { // about 100 bytes each: a reply larger than the whole queue
		ih := randID()
		c.send(announce(ih, randID(), "started", 0))
		expectAnnounceResponse(t, c, ih)
	}
	c.send(map[string]any{"action": "scrape"})
	expectFailure(t, c, "scrape", nil, "scrape over HTTP")
	// The connection goes on.
	ih := randID()
	c.send(map[string]any{"action": "scrape", "info_hash": bin(ih)})
	if m := c.next(); m.str("action") != "scrape" || m["files"] == nil {
		t.Fatalf("scrape after the refused full scrape: %v", m)
	}
}

func TestFullScrapeWhenAllowed(t *testing.T) {
	tr := newTracker(t, func(c *signaling.Config) { c.AllowFullScrape = true })
	c := tr.dial(t)
	ih1, ih2 := randID(), randID()
	c.send(announce(ih1, randID(), "started", 0))
	expectAnnounceResponse(t, c, ih1)
	c.send(announce(ih2, randID(), "started", 3))
	expectAnnounceResponse(t, c, ih2)
	c.send(map[string]any{"action": "scrape"})
	m := c.next()
	files, _ := m["files"].(map[string]any)
	if m.str("action") != "scrape" || len(files) != 2 || files[bin(ih1)] == nil || files[bin(ih2)] == nil {
		t.Fatalf("full scrape: %v", m)
	}
}
