package signaling_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/signalstore"
	"github.com/swarmbridge/swarmbridge/internal/swarm/memory"
	"github.com/swarmbridge/swarmbridge/internal/testkit/wspeer"
	"github.com/swarmbridge/swarmbridge/signaling"
)

// The relay is tested through real WebSockets on 127.0.0.1:0 against the
// real in-memory store, the way a client sees it.

type tracker struct {
	url  string
	addr string // host:port, for hand-made connections
	h    *signaling.Handler
}

// readerGoroutines makes newTracker's handlers serve every connection with
// a reader goroutine instead of the pollers (TestRelaySuiteOnReaderGoroutines).
var readerGoroutines bool

// onWorkers makes newTracker's stores say that they may block, so that
// messages are handled by the Handler's workers (TestRelaySuiteOnWorkers).
var onWorkers bool

// blockingSwarms is a Swarms that says it may block (signaling.Blocking),
// whatever it wraps.
type blockingSwarms struct{ signaling.Swarms }

func (blockingSwarms) MayBlock() bool { return true }

func (b blockingSwarms) ScrapeAll(ctx context.Context, fn func(bittorrent.InfoHash, bittorrent.Counts) bool) error {
	fs, ok := b.Swarms.(bittorrent.FullScraper)
	if !ok {
		return errors.New("the wrapped store has no full scrape")
	}
	return fs.ScrapeAll(ctx, fn)
}

func newTracker(t *testing.T, tweak func(*signaling.Config)) *tracker {
	t.Helper()
	cfg := signaling.Config{
		Swarms: signalstore.New(memory.New(memory.Options{}), 5*time.Minute),
		Logger: zerolog.Nop(),
	}
	if tweak != nil {
		tweak(&cfg)
	}
	if onWorkers {
		cfg.Swarms = blockingSwarms{cfg.Swarms}
	}
	h, err := signaling.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if readerGoroutines {
		signaling.ServeWithReaderGoroutines(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		srv.Close()
	})
	return &tracker{url: "ws" + strings.TrimPrefix(srv.URL, "http"), addr: srv.Listener.Addr().String(), h: h}
}

// msg is a decoded server message.
type msg map[string]any

func (m msg) str(key string) string {
	s, _ := m[key].(string)
	return s
}

func (m msg) num(key string) int {
	f, ok := m[key].(float64)
	if !ok {
		return -1
	}
	return int(f)
}

// client is a WebTorrent peer (wspeer) with this package's names and
// waits.
type client struct {
	*wspeer.Peer
	t  *testing.T
	ws *websocket.Conn
}

func (tr *tracker) dial(t *testing.T) *client {
	return tr.dialWith(t, nil)
}

func (tr *tracker) dialWith(t *testing.T, opts *websocket.DialOptions) *client {
	t.Helper()
	p := wspeer.DialWith(t, tr.url, opts)
	return &client{Peer: p, t: t, ws: p.Conn()}
}

func (c *client) send(v any) {
	c.t.Helper()
	c.Send(v)
}

func (c *client) sendRaw(typ websocket.MessageType, b []byte) {
	c.t.Helper()
	c.SendRaw(typ, b)
}

// next returns the next message, failing the test after a generous wait.
func (c *client) next() msg {
	c.t.Helper()
	return msg(c.Next(10 * time.Second))
}

// ended waits for the server to close the connection and returns why.
func (c *client) ended() error {
	c.t.Helper()
	return c.Ended(20 * time.Second)
}

// closed waits for the server to close the connection and returns the
// close status.
func (c *client) closed() websocket.StatusCode {
	c.t.Helper()
	return websocket.CloseStatus(c.ended())
}

// sync makes sure everything the tracker queued for this client before now
// has arrived: it sends a scrape and returns the messages that came before
// the scrape response. Messages to one client are delivered in order.
func (c *client) sync() []msg {
	c.t.Helper()
	marker := randID()
	c.send(map[string]any{"action": "scrape", "info_hash": bin(marker)})
	var before []msg
	for {
		m := c.next()
		if m.str("action") == "scrape" {
			if _, ok := m["files"].(map[string]any)[bin(marker)]; ok {
				return before
			}
		}
		before = append(before, m)
	}
}

// bin encodes bytes as a WebTorrent binary string: one code point per
// byte. encoding/json then writes it as UTF-8 or escapes, as browsers do.
func bin(b []byte) string {
	r := make([]rune, len(b))
	for i, x := range b {
		r[i] = rune(x)
	}
	return string(r)
}

// unbin decodes a binary string, failing on code points above U+00FF.
func unbin(t *testing.T, s string) []byte {
	t.Helper()
	var b []byte
	for _, r := range s {
		if r > 0xff {
			t.Fatalf("code point %U in binary string %q", r, s)
		}
		b = append(b, byte(r))
	}
	return b
}

func randID() []byte {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return b
}

// announce builds an announce with the given offers (offer ids) and left.
func announce(ih, peer []byte, event string, left any, offers ...offer) map[string]any {
	m := map[string]any{
		"action": "announce", "info_hash": bin(ih), "peer_id": bin(peer),
		"numwant": len(offers), "uploaded": 0, "downloaded": 0, "left": left,
	}
	if event != "" {
		m["event"] = event
	}
	if len(offers) > 0 {
		os := make([]any, len(offers))
		for i, o := range offers {
			os[i] = map[string]any{"offer_id": bin(o.id), "offer": map[string]any{"type": "offer", "sdp": o.sdp}}
		}
		m["offers"] = os
	}
	return m
}

type offer struct {
	id  []byte
	sdp string
}

func newOffers(n int) []offer {
	os := make([]offer, n)
	for i := range os {
		os[i] = offer{id: randID(), sdp: "v=0\r\no=- " + bin(randID()[:4]) + " 2 IN IP4 127.0.0.1\r\ns=-\r\na=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\n"}
	}
	return os
}

func answerMsg(ih, from, to, offerID []byte, sdp string) map[string]any {
	return map[string]any{
		"action": "announce", "info_hash": bin(ih), "peer_id": bin(from),
		"to_peer_id": bin(to), "offer_id": bin(offerID),
		"answer": map[string]any{"type": "answer", "sdp": sdp},
	}
}

func scrapeCounts(t *testing.T, c *client, ih []byte) (complete, incomplete, downloaded int) {
	t.Helper()
	c.send(map[string]any{"action": "scrape", "info_hash": bin(ih)})
	for {
		m := c.next()
		if m.str("action") != "scrape" {
			continue
		}
		f, ok := m["files"].(map[string]any)[bin(ih)].(map[string]any)
		if !ok {
			t.Fatalf("scrape response without the hash: %v", m)
		}
		return int(f["complete"].(float64)), int(f["incomplete"].(float64)), int(f["downloaded"].(float64))
	}
}

// expectAnnounceResponse reads the next message and checks it is the
// announce response for ih.
func expectAnnounceResponse(t *testing.T, c *client, ih []byte) msg {
	t.Helper()
	m := c.next()
	if m.str("action") != "announce" || m.str("info_hash") != bin(ih) || m.num("interval") <= 0 || m["complete"] == nil || m["incomplete"] == nil {
		t.Fatalf("want an announce response for %x, got %v", ih, m)
	}
	if _, bad := m["failure reason"]; bad {
		t.Fatalf("announce failed: %v", m)
	}
	return m
}

func expectFailure(t *testing.T, c *client, action string, ih []byte, reasonPart string) {
	t.Helper()
	m := c.next()
	reason := m.str("failure reason")
	if reason == "" || !strings.Contains(reason, reasonPart) {
		t.Fatalf("want failure containing %q, got %v", reasonPart, m)
	}
	if m.str("action") != action {
		t.Fatalf("failure has action %q, want %q: %v", m.str("action"), action, m)
	}
	if ih != nil && m.str("info_hash") != bin(ih) {
		t.Fatalf("failure lacks info_hash %x: %v", ih, m)
	}
	if ih == nil {
		if _, has := m["info_hash"]; has {
			t.Fatalf("failure has an info_hash it could not know: %v", m)
		}
	}
}

// floodUntilClosed sends msg n times without waiting for replies and
// returns the close code the tracker ended the connection with.
func (c *client) floodUntilClosed(msg []byte, n int) websocket.StatusCode {
	c.t.Helper()
	for range n {
		// Writes start failing once the tracker has closed the socket.
		_ = c.ws.Write(context.Background(), websocket.MessageText, msg)
	}
	return c.closed()
}

// marshal is json.Marshal for test messages.
func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// relayOne has peer fromID announce in ih on from with one offer, and
// checks that to (the swarm's only other peer) receives it. It returns
// the offer, for the answer.
func relayOne(t *testing.T, ih, fromID []byte, from, to *client) offer {
	t.Helper()
	offers := newOffers(1)
	from.send(announce(ih, fromID, "started", 10, offers...))
	expectAnnounceResponse(t, from, ih)
	if o := to.next(); o.str("offer_id") != bin(offers[0].id) {
		t.Fatalf("want the offer, got %v", o)
	}
	return offers[0]
}

// floodSlowPeer has a peer announce in ih and never read again, then a
// second peer (returned) announce with big offers, each of which goes to
// the slow one, until done reports true (checked after every response) or
// 5000 announces were answered.
func floodSlowPeer(t *testing.T, tr *tracker, ih []byte, done func() bool) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	slow, _, err := websocket.Dial(ctx, tr.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = slow.CloseNow() })
	b, _ := json.Marshal(announce(ih, randID(), "started", 0))
	if err := slow.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}

	sender := tr.dial(t)
	big := strings.Repeat("a=candidate:x 1 udp 1 127.0.0.1 9 typ host\r\n", 1200) // ~56 KB, fills TCP buffers fast
	senderID := randID()
	for range 5000 {
		sender.send(announce(ih, senderID, "", 1, offer{id: randID(), sdp: big}))
		expectAnnounceResponse(t, sender, ih)
		if done() {
			break
		}
	}
	return sender
}
