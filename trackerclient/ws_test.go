package trackerclient_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/trackerclient"
)

// The WebSocket client against Swarmbridge in-process: every message form
// of docs/protocol.md §4 and §5.

func newWS(t *testing.T, url string, opts trackerclient.Options) *trackerclient.WSClient {
	t.Helper()
	c, err := trackerclient.NewWS(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// nextMessage waits for the next relayed message.
func nextMessage(ctx context.Context, t *testing.T, who string, c *trackerclient.WSClient) trackerclient.Message {
	t.Helper()
	select {
	case m, ok := <-c.Messages():
		if !ok {
			t.Fatalf("%s: Messages closed: %v", who, c.Err())
		}
		return m
	case <-ctx.Done():
		t.Fatalf("%s: no message: %v", who, ctx.Err())
	}
	return trackerclient.Message{}
}

// noMessage fails if a message is waiting.
func noMessage(t *testing.T, who string, c *trackerclient.WSClient) {
	t.Helper()
	select {
	case m := <-c.Messages():
		t.Fatalf("%s: unexpected %s message %+v", who, m.Kind, m)
	default:
	}
}

func wsAnnounce(ih bittorrent.InfoHash, peer bittorrent.PeerID, left int64, ev bittorrent.Event, offers ...trackerclient.Offer) trackerclient.AnnounceRequest {
	return trackerclient.AnnounceRequest{InfoHash: ih, PeerID: peer, Left: left, Event: ev, Offers: offers}
}

func TestWSAnnounceOffersAndAnswers(t *testing.T) {
	tr := startTB(t)
	ctx := ctxT(t, 10*time.Second)
	a, b, c := newWS(t, tr.WSURL, trackerclient.Options{}), newWS(t, tr.WSURL, trackerclient.Options{}), newWS(t, tr.WSURL, trackerclient.Options{})
	ih := bittorrent.InfoHash{0xff, 0x00, '"', '\\'}
	idA, idB, idC := bittorrent.PeerID{'A', 0x80}, bittorrent.PeerID{'B', 0x7f}, bittorrent.PeerID{'C', 0x0a}

	r, err := a.Announce(ctx, wsAnnounce(ih, idA, 0, bittorrent.EventStarted))
	if err != nil {
		t.Fatal(err)
	}
	if r.Interval != 2*time.Minute || r.Counts != (bittorrent.Counts{Complete: 1}) || len(r.Quirks) != 0 || len(r.Peers) != 0 {
		t.Fatalf("A's reply %+v", r)
	}
	if r, err = b.Announce(ctx, wsAnnounce(ih, idB, bittorrent.LeftUnknown, bittorrent.EventStarted)); err != nil || r.Counts != (bittorrent.Counts{Complete: 1, Incomplete: 1}) {
		t.Fatalf("B (left null) %+v, %v: want a leecher", r, err)
	}
	if r, err = c.Announce(ctx, wsAnnounce(ih, idC, 5, bittorrent.EventStarted)); err != nil || r.Counts != (bittorrent.Counts{Complete: 1, Incomplete: 2}) {
		t.Fatalf("C %+v, %v", r, err)
	}

	// A offers twice: B and C get one each, from A, with the SDP as sent.
	o1 := trackerclient.Offer{ID: trackerclient.OfferID{1, '"', 0xc3}, SDP: "v=0\r\na=one \"quoted\" ünïcode\r\n"}
	o2 := trackerclient.Offer{ID: trackerclient.OfferID{2, '\\', 0xff}, SDP: "v=0\r\na=two\r\n"}
	if _, err := a.Announce(ctx, wsAnnounce(ih, idA, 0, bittorrent.EventUpdate, o1, o2)); err != nil {
		t.Fatal(err)
	}
	sent := map[trackerclient.OfferID]string{o1.ID: o1.SDP, o2.ID: o2.SDP}
	got := map[trackerclient.OfferID]string{}
	for _, p := range []struct {
		name string
		c    *trackerclient.WSClient
		id   bittorrent.PeerID
	}{{"B", b, idB}, {"C", c, idC}} {
		m := nextMessage(ctx, t, p.name, p.c)
		if m.Kind != trackerclient.MessageOffer || m.InfoHash != ih || m.PeerID != idA || m.SDPType != "offer" || sent[m.OfferID] != m.SDP {
			t.Fatalf("%s got %+v", p.name, m)
		}
		got[m.OfferID] = p.name
		// Each answers; the answer goes back to A with the answerer's id.
		if err := p.c.Answer(ctx, trackerclient.Answer{InfoHash: ih, PeerID: p.id, ToPeerID: m.PeerID, OfferID: m.OfferID, SDP: "answer from " + p.name}); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 2 {
		t.Fatalf("offers went to %v, want one to B and one to C", got)
	}
	answers := map[trackerclient.OfferID]trackerclient.Message{}
	for range 2 {
		m := nextMessage(ctx, t, "A", a)
		answers[m.OfferID] = m
	}
	for id, name := range got {
		m := answers[id]
		wantFrom := map[string]bittorrent.PeerID{"B": idB, "C": idC}[name]
		if m.Kind != trackerclient.MessageAnswer || m.PeerID != wantFrom || m.SDPType != "answer" || m.SDP != "answer from "+name || m.InfoHash != ih {
			t.Errorf("answer to offer %s (sent to %s): %+v", id, name, m)
		}
	}

	// B offers back to A and C: offers go both ways.
	o3 := trackerclient.Offer{ID: trackerclient.OfferID{3}, SDP: "v=0 b"}
	o4 := trackerclient.Offer{ID: trackerclient.OfferID{4}, SDP: "v=0 b"}
	if _, err := b.Announce(ctx, wsAnnounce(ih, idB, bittorrent.LeftUnknown, bittorrent.EventUpdate, o3, o4)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		name string
		c    *trackerclient.WSClient
	}{{"A", a}, {"C", c}} {
		if m := nextMessage(ctx, t, p.name, p.c); m.Kind != trackerclient.MessageOffer || m.PeerID != idB {
			t.Errorf("%s got %+v, want B's offer", p.name, m)
		}
	}
	noMessage(t, "B", b)
	for _, cl := range []*trackerclient.WSClient{a, b, c} {
		if s := cl.Stats(); s != (trackerclient.WSStats{}) {
			t.Errorf("stats %+v", s)
		}
	}
}

func TestWSScrapeOneManyFull(t *testing.T) {
	tr := startTB(t, "SWARMBRIDGE_ALLOW_FULL_SCRAPE=true")
	ctx := ctxT(t, 10*time.Second)
	c := newWS(t, tr.WSURL, trackerclient.Options{})
	ih1, ih2, unknown := bittorrent.InfoHash{0xa1}, bittorrent.InfoHash{0xa2}, bittorrent.InfoHash{0xa3}
	for i, ih := range []bittorrent.InfoHash{ih1, ih2, ih2} {
		if _, err := c.Announce(ctx, wsAnnounce(ih, bittorrent.PeerID{byte(i)}, int64(i), bittorrent.EventStarted)); err != nil {
			t.Fatal(err)
		}
	}
	one, err := c.Scrape(ctx, []bittorrent.InfoHash{ih1})
	if err != nil || len(one.Files) != 1 || one.Files[ih1] != (bittorrent.Counts{Complete: 1}) {
		t.Fatalf("one: %+v, %v", one, err)
	}
	many, err := c.Scrape(ctx, []bittorrent.InfoHash{ih1, ih2, unknown})
	if err != nil || len(many.Files) != 3 || many.Files[ih2] != (bittorrent.Counts{Incomplete: 2}) || many.Files[unknown] != (bittorrent.Counts{}) {
		t.Fatalf("many: %+v, %v", many, err)
	}
	full, err := c.Scrape(ctx, nil)
	if err != nil || len(full.Files) != 2 || full.Files[ih1] != one.Files[ih1] || full.Files[ih2] != many.Files[ih2] {
		t.Fatalf("full: %+v, %v", full, err)
	}
}

// Every byte value travels exactly in info hashes, peer ids and offer ids.
func TestWSBinaryIDsEveryByte(t *testing.T) {
	tr := startTB(t)
	ctx := ctxT(t, 10*time.Second)
	var all [260]byte
	for i := range all {
		all[i] = byte(i)
	}
	ids := make([][20]byte, 13) // 13 × 20 = 260: every byte value at least once
	for i := range ids {
		copy(ids[i][:], all[i*20:])
	}
	a, b := newWS(t, tr.WSURL, trackerclient.Options{}), newWS(t, tr.WSURL, trackerclient.Options{})
	for i := 0; i+3 < len(ids); i += 4 {
		ih, idA, idB, oid := bittorrent.InfoHash(ids[i]), bittorrent.PeerID(ids[i+1]), bittorrent.PeerID(ids[i+2]), trackerclient.OfferID(ids[i+3])
		if _, err := b.Announce(ctx, wsAnnounce(ih, idB, 9, bittorrent.EventStarted)); err != nil {
			t.Fatal(err)
		}
		r, err := a.Announce(ctx, wsAnnounce(ih, idA, 0, bittorrent.EventStarted, trackerclient.Offer{ID: oid, SDP: "x"}))
		if err != nil || r.Counts != (bittorrent.Counts{Complete: 1, Incomplete: 1}) {
			t.Fatalf("ids %d…: %+v, %v", i, r, err)
		}
		m := nextMessage(ctx, t, "B", b)
		if m.InfoHash != ih || m.PeerID != idA || m.OfferID != oid {
			t.Fatalf("offer with ids %x %x %x arrived as %x %x %x", ih, idA, oid, m.InfoHash, m.PeerID, m.OfferID)
		}
		if err := b.Answer(ctx, trackerclient.Answer{InfoHash: ih, PeerID: idB, ToPeerID: idA, OfferID: oid, SDP: "y"}); err != nil {
			t.Fatal(err)
		}
		if m := nextMessage(ctx, t, "A", a); m.Kind != trackerclient.MessageAnswer || m.PeerID != idB || m.OfferID != oid {
			t.Fatalf("answer %+v", m)
		}
		s, err := b.Scrape(ctx, []bittorrent.InfoHash{ih})
		if err != nil || s.Files[ih] != (bittorrent.Counts{Complete: 1, Incomplete: 1}) {
			t.Fatalf("scrape of %x: %+v, %v", ih, s, err)
		}
	}
	// ids[12] is the last: used as an info hash on its own.
	ih := bittorrent.InfoHash(ids[12])
	if r, err := a.Announce(ctx, wsAnnounce(ih, bittorrent.PeerID(ids[0]), 0, bittorrent.EventStarted)); err != nil || r.Counts.Complete != 1 {
		t.Fatalf("last id: %+v, %v", r, err)
	}
}

func TestWSFailures(t *testing.T) {
	tr := startTB(t, "SWARMBRIDGE_INFOHASH_DENYLIST=testdata/deny.txt")
	ctx := ctxT(t, 10*time.Second)
	c := newWS(t, tr.WSURL, trackerclient.Options{})
	denied := bittorrent.InfoHash{0x01}

	// An announce refused with action and info_hash.
	_, err := c.Announce(ctx, wsAnnounce(denied, bittorrent.PeerID{'p'}, 0, bittorrent.EventStarted))
	var fe *trackerclient.FailureError
	if !errors.As(err, &fe) || fe.Reason != "info_hash not allowed" || fe.Action != "announce" || !fe.HasInfoHash || fe.InfoHash != denied || fe.StatusCode != 0 {
		t.Fatalf("denied announce: %v (%+v)", err, fe)
	}
	if !strings.Contains(err.Error(), "tracker failure: info_hash not allowed") {
		t.Errorf("error text %q", err)
	}

	// An answer to an offer the tracker never relayed: no request waits,
	// so the refusal is a message.
	ih := bittorrent.InfoHash{0x02}
	if err := c.Answer(ctx, trackerclient.Answer{InfoHash: ih, PeerID: bittorrent.PeerID{'p'}, ToPeerID: bittorrent.PeerID{'q'}, OfferID: trackerclient.OfferID{9}, SDP: "v=0"}); err != nil {
		t.Fatal(err)
	}
	m := nextMessage(ctx, t, "answerer", c)
	if m.Kind != trackerclient.MessageFailure || m.InfoHash != ih || m.Failure == nil ||
		m.Failure.Reason != "could not find the offer for this answer; it may have expired" || m.Failure.Action != "announce" || m.Failure.InfoHash != ih {
		t.Fatalf("refused answer: %+v (%+v)", m, m.Failure)
	}

	// Scrape failures carry action "scrape".
	_, err = c.Scrape(ctx, nil)
	if !errors.As(err, &fe) || fe.Reason != "full scrape is not allowed" || fe.Action != "scrape" {
		t.Fatalf("full scrape: %v", err)
	}
	many := make([]bittorrent.InfoHash, 101)
	for i := range many {
		many[i][0] = byte(i)
	}
	_, err = c.Scrape(ctx, many)
	if !errors.As(err, &fe) || fe.Reason != "too many info_hash values in scrape" || fe.Action != "scrape" {
		t.Fatalf("101 hashes: %v", err)
	}
	// The connection goes on after failures.
	if _, err := c.Announce(ctx, wsAnnounce(ih, bittorrent.PeerID{'p'}, 0, bittorrent.EventStarted)); err != nil {
		t.Fatal(err)
	}
	if err := c.Err(); err != nil {
		t.Fatalf("Err after failures: %v", err)
	}
}

// wantClose checks that err, and every later request, is the tracker's
// close frame, and that Messages is closed.
func wantClose(ctx context.Context, t *testing.T, c *trackerclient.WSClient, err error, code uint16, reason string) {
	t.Helper()
	var ce *trackerclient.CloseError
	if !errors.As(err, &ce) || ce.Code != code || ce.Reason != reason {
		t.Fatalf("error %v, want close %d %q", err, code, reason)
	}
	if _, err := c.Scrape(ctx, []bittorrent.InfoHash{{1}}); !errors.As(err, &ce) || ce.Code != code {
		t.Fatalf("a request after the close: %v", err)
	}
	if err := c.Err(); !errors.As(err, &ce) || ce.Code != code {
		t.Fatalf("Err: %v", err)
	}
	for range c.Messages() { // drains and ends: the channel is closed
	}
}

func TestWSTrackerCloses1009MessageTooBig(t *testing.T) {
	tr := startTB(t, "SWARMBRIDGE_MAX_MESSAGE_SIZE=4096")
	ctx := ctxT(t, 10*time.Second)
	c := newWS(t, tr.WSURL, trackerclient.Options{})
	big := trackerclient.Offer{SDP: strings.Repeat("a", 5000)}
	_, err := c.Announce(ctx, wsAnnounce(bittorrent.InfoHash{1}, bittorrent.PeerID{1}, 0, bittorrent.EventStarted, big))
	wantClose(ctx, t, c, err, 1009, "message too big")
	if !strings.Contains(err.Error(), "the tracker closed the WebSocket with 1009 (message too big): message too big") {
		t.Errorf("error text %q", err)
	}
}

func TestWSTrackerCloses1008TooManyInvalid(t *testing.T) {
	tr := startTB(t)
	ctx := ctxT(t, 10*time.Second)
	c := newWS(t, tr.WSURL, trackerclient.Options{})
	// Answers to offers never relayed are invalid messages; past 30 in a
	// minute the tracker closes (docs/protocol.md §8.3). The 31st Answer may
	// already find the connection closing.
	for i := range 40 {
		err := c.Answer(ctx, trackerclient.Answer{InfoHash: bittorrent.InfoHash{1}, PeerID: bittorrent.PeerID{1}, OfferID: trackerclient.OfferID{byte(i)}, SDP: "x"})
		if err != nil {
			break
		}
	}
	var failures int
	for m := range c.Messages() {
		if m.Kind == trackerclient.MessageFailure {
			failures++
		}
	}
	if failures < 30 {
		t.Errorf("%d failures before the close, want 30", failures)
	}
	wantClose(ctx, t, c, c.Err(), 1008, "too many invalid messages")
}

// A tracker that only lets some web pages in refuses the upgrade with a
// status; the Origin option gets through.
func TestWSUpgradeRefused(t *testing.T) {
	tr := startTB(t, "SWARMBRIDGE_ALLOWED_ORIGINS=https://app.example")
	ctx := ctxT(t, 10*time.Second)
	c := newWS(t, tr.WSURL, trackerclient.Options{Header: http.Header{"Origin": {"https://evil.example"}}})
	err := c.Connect(ctx)
	var se *trackerclient.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusForbidden || se.Body != "origin not allowed" {
		t.Fatalf("refused upgrade: %v", err)
	}
	// A failed dial leaves the client usable: nothing was established.
	if _, err := c.Announce(ctx, wsAnnounce(bittorrent.InfoHash{1}, bittorrent.PeerID{1}, 0, bittorrent.EventStarted)); !errors.As(err, &se) {
		t.Fatalf("announce after a refused upgrade: %v", err)
	}
	ok := newWS(t, tr.WSURL, trackerclient.Options{Header: http.Header{"Origin": {"https://app.example"}}})
	if _, err := ok.Announce(ctx, wsAnnounce(bittorrent.InfoHash{1}, bittorrent.PeerID{1}, 0, bittorrent.EventStarted)); err != nil {
		t.Fatal(err)
	}
}

func TestWSS(t *testing.T) {
	tr := startTLSTB(t)
	ctx := ctxT(t, 10*time.Second)
	if !strings.HasPrefix(tr.WSURL, "wss://") {
		t.Fatal(tr.WSURL)
	}
	c := newWS(t, tr.WSURL, trackerclient.Options{TLSConfig: &tls.Config{RootCAs: tr.Roots}})
	if _, err := c.Announce(ctx, wsAnnounce(bittorrent.InfoHash{1}, bittorrent.PeerID{1}, 0, bittorrent.EventStarted)); err != nil {
		t.Fatal(err)
	}
	if st, ok := c.TLSConnectionState(); !ok || !st.HandshakeComplete {
		t.Fatalf("TLS state %+v, %v", st, ok)
	}
	if c.RemoteAddr() == nil {
		t.Fatal("no remote address")
	}
	// The same certificate over https with the same option.
	h, err := trackerclient.New(tr.HTTPURL+"/announce", trackerclient.Options{TLSConfig: &tls.Config{RootCAs: tr.Roots}})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := h.Announce(ctx, trackerclient.AnnounceRequest{InfoHash: bittorrent.InfoHash{2}, Port: 1}); err != nil {
		t.Fatal(err)
	}
	// Without the root the certificate is refused.
	untrusted := newWS(t, tr.WSURL, trackerclient.Options{})
	if err := untrusted.Connect(ctx); err == nil || !strings.Contains(err.Error(), "TLS handshake") || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted certificate: %v", err)
	}
}

// The reader never waits for Messages: what does not fit is dropped and
// counted.
func TestWSMessagesDropWhenFull(t *testing.T) {
	tr := startTB(t)
	ctx := ctxT(t, 10*time.Second)
	slow := newWS(t, tr.WSURL, trackerclient.Options{MessageBuffer: 1})
	// Three swarms of two: each offer can only go to slow.
	for i := range 3 {
		ih := bittorrent.InfoHash{7, byte(i)}
		if _, err := slow.Announce(ctx, wsAnnounce(ih, bittorrent.PeerID{'s'}, 0, bittorrent.EventStarted)); err != nil {
			t.Fatal(err)
		}
		o := newWS(t, tr.WSURL, trackerclient.Options{})
		if _, err := o.Announce(ctx, wsAnnounce(ih, bittorrent.PeerID{byte(i)}, 1, bittorrent.EventStarted, trackerclient.Offer{ID: trackerclient.OfferID{byte(i)}, SDP: "x"})); err != nil {
			t.Fatal(err)
		}
	}
	for slow.Stats().MessagesDropped < 2 {
		if ctx.Err() != nil {
			t.Fatalf("stats %+v, want 2 dropped", slow.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if m := nextMessage(ctx, t, "slow", slow); m.Kind != trackerclient.MessageOffer || m.OfferID != (trackerclient.OfferID{0}) {
		t.Fatalf("kept %+v, want the first offer", m)
	}
	// The connection is fine: requests still work.
	if _, err := slow.Scrape(ctx, []bittorrent.InfoHash{{7, 0}}); err != nil {
		t.Fatal(err)
	}
}

// Concurrent requests on one connection each get their own reply.
func TestWSConcurrentRequests(t *testing.T) {
	tr := startTB(t)
	ctx := ctxT(t, 10*time.Second)
	c := newWS(t, tr.WSURL, trackerclient.Options{})
	errs := make(chan error, 40)
	for i := range 20 {
		go func() {
			ih := bittorrent.InfoHash{byte(i)}
			r, err := c.Announce(ctx, wsAnnounce(ih, bittorrent.PeerID{byte(i)}, int64(i%2), bittorrent.EventStarted))
			if err == nil && r.Counts != (bittorrent.Counts{Complete: 1 - i%2, Incomplete: i % 2}) {
				err = fmt.Errorf("announce %d got %+v", i, r.Counts)
			}
			errs <- err
		}()
		go func() {
			_, err := c.Scrape(ctx, []bittorrent.InfoHash{{byte(i)}})
			errs <- err
		}()
	}
	for range 40 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// New picks the WebSocket client for ws:// and wss://, and Trace sees the
// JSON both ways.
func TestNewWSAndTrace(t *testing.T) {
	tr := startTB(t)
	ctx := ctxT(t, 10*time.Second)
	var out, in []string
	cl, err := trackerclient.New(tr.WSURL+"/announce", trackerclient.Options{Trace: func(sent bool, msg []byte) {
		if sent {
			out = append(out, string(msg))
		} else {
			in = append(in, string(msg))
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, ok := cl.(*trackerclient.WSClient); !ok {
		t.Fatalf("New gave a %T", cl)
	}
	if _, err := cl.Announce(ctx, trackerclient.AnnounceRequest{InfoHash: bittorrent.InfoHash{0xc3}, PeerID: bittorrent.PeerID{'p'}, Left: bittorrent.LeftUnknown, Event: bittorrent.EventStarted}); err != nil {
		t.Fatal(err)
	}
	_ = cl.Close() // the reader has stopped: in is settled
	want := `{"numwant":0,"uploaded":0,"downloaded":0,"left":null,"event":"started","action":"announce","info_hash":"Ã\u0000`
	if len(out) != 1 || !strings.HasPrefix(out[0], want) || len(in) != 1 || !strings.HasPrefix(in[0], `{"action":"announce","info_hash":"Ã\u0000`) {
		t.Fatalf("traced out %q, in %q", out, in)
	}
	if _, err := trackerclient.New("wss://", trackerclient.Options{}); err == nil {
		t.Fatal("wss:// without a host accepted")
	}
}
