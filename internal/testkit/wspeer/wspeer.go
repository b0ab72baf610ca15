// Package wspeer is a WebTorrent peer for tests: it speaks the signaling
// JSON over a WebSocket (coder/websocket), sends announces with offers,
// scrapes and answers, and reads what the tracker sends, with generous
// timeouts that fail the test instead of hanging it.
package wspeer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/swarmbridge/swarmbridge/internal/testkit/binstrtest"
)

// ID is a 20-byte id: info hash, peer id or offer id.
type ID [20]byte

// NewID returns a random id.
func NewID() ID {
	var id ID
	_, _ = rand.Read(id[:])
	return id
}

// Bin is id as a WebTorrent binary string.
func (id ID) Bin() string { return binstrtest.BinaryString(id) }

// Msg is a message from the tracker.
type Msg map[string]any

// Str returns a string field, "" when absent.
func (m Msg) Str(key string) string {
	s, _ := m[key].(string)
	return s
}

// Num returns a number field, -1 when absent.
func (m Msg) Num(key string) int {
	f, ok := m[key].(float64)
	if !ok {
		return -1
	}
	return int(f)
}

// Peer is one WebSocket connection to a tracker.
type Peer struct {
	t    testing.TB
	ws   *websocket.Conn
	in   chan Msg
	done chan error
}

// Dial connects to the ws:// URL and closes the connection when the test
// ends.
func Dial(t testing.TB, url string) *Peer {
	t.Helper()
	return DialWith(t, url, nil)
}

// DialWith is Dial with coder/websocket's dial options (headers, an HTTP
// client for wss://).
func DialWith(t testing.TB, url string, opts *websocket.DialOptions) *Peer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, opts)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	ws.SetReadLimit(16 << 20)
	p := &Peer{t: t, ws: ws, in: make(chan Msg, 1024), done: make(chan error, 1)}
	go p.read()
	t.Cleanup(func() {
		_ = ws.CloseNow()
		<-p.done
	})
	return p
}

func (p *Peer) read() {
	for {
		_, data, err := p.ws.Read(context.Background())
		if err != nil {
			close(p.in)
			p.done <- err
			return
		}
		var m Msg
		if err := json.Unmarshal(data, &m); err != nil {
			m = Msg{"_invalid": string(data)}
		}
		p.in <- m
	}
}

// Send sends v as a JSON text message.
func (p *Peer) Send(v any) {
	p.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		p.t.Fatal(err)
	}
	p.SendRaw(websocket.MessageText, b)
}

// SendRaw sends b as one message of type typ, whatever it holds.
func (p *Peer) SendRaw(typ websocket.MessageType, b []byte) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.ws.Write(ctx, typ, b); err != nil {
		p.t.Fatalf("write: %v", err)
	}
}

// Conn is the connection itself, for tests that close it with a code of
// their own or write without the test's helpers.
func (p *Peer) Conn() *websocket.Conn { return p.ws }

// Ended waits until the connection has ended and returns why (the
// tracker's close frame, if it sent one: see websocket.CloseStatus),
// dropping messages that arrive meanwhile. It fails the test after within.
func (p *Peer) Ended(within time.Duration) error {
	p.t.Helper()
	deadline := time.After(within)
	for {
		select {
		case _, ok := <-p.in:
			if ok {
				continue
			}
			err := <-p.done
			p.done <- err // for the next caller, and the cleanup
			return err
		case <-deadline:
			p.t.Fatalf("connection not closed within %v", within)
			return nil
		}
	}
}

// Next returns the next message, failing the test after within.
func (p *Peer) Next(within time.Duration) Msg {
	p.t.Helper()
	select {
	case m, ok := <-p.in:
		if !ok {
			p.t.Fatalf("connection closed while waiting for a message")
		}
		if raw, bad := m["_invalid"]; bad {
			p.t.Fatalf("tracker sent invalid JSON: %q", raw)
		}
		return m
	case <-time.After(within):
		p.t.Fatalf("no message within %v", within)
	}
	return nil
}

// Quiet reports whether nothing arrives for d.
func (p *Peer) Quiet(d time.Duration) (Msg, bool) {
	select {
	case m, ok := <-p.in:
		if !ok {
			return Msg{"_closed": true}, false
		}
		return m, false
	case <-time.After(d):
		return nil, true
	}
}

// Ping sends a WebSocket ping and waits for the pong.
func (p *Peer) Ping(within time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	return p.ws.Ping(ctx)
}

// Close closes the connection with 1000.
func (p *Peer) Close() { _ = p.ws.Close(websocket.StatusNormalClosure, "") }

// Offer is one offer of an announce.
type Offer struct {
	ID  ID
	SDP string
}

// NewOffers returns n offers with made-up SDP.
func NewOffers(n int) []Offer {
	os := make([]Offer, n)
	for i := range os {
		id := NewID()
		os[i] = Offer{ID: id, SDP: "v=0\r\no=- " + hex.EncodeToString(id[:4]) + " 2 IN IP4 127.0.0.1\r\ns=-\r\n"}
	}
	return os
}

// Announce builds an announce of peer in swarm ih.
func Announce(ih, peer ID, event string, left int, offers ...Offer) map[string]any {
	m := map[string]any{
		"action": "announce", "info_hash": ih.Bin(), "peer_id": peer.Bin(),
		"numwant": len(offers), "uploaded": 0, "downloaded": 0, "left": left,
	}
	if event != "" {
		m["event"] = event
	}
	if len(offers) > 0 {
		os := make([]any, len(offers))
		for i, o := range offers {
			os[i] = map[string]any{"offer_id": o.ID.Bin(), "offer": map[string]any{"type": "offer", "sdp": o.SDP}}
		}
		m["offers"] = os
	}
	return m
}

// Answer builds the answer of peer from to an offer of peer to.
func Answer(ih, from, to, offerID ID, sdp string) map[string]any {
	return map[string]any{
		"action": "announce", "info_hash": ih.Bin(), "peer_id": from.Bin(),
		"to_peer_id": to.Bin(), "offer_id": offerID.Bin(),
		"answer": map[string]any{"type": "answer", "sdp": sdp},
	}
}

// Scrape builds a scrape of ih.
func Scrape(ih ID) map[string]any {
	return map[string]any{"action": "scrape", "info_hash": ih.Bin()}
}

// ScrapeCounts scrapes ih and returns its counts, skipping other
// messages.
func (p *Peer) ScrapeCounts(ih ID) (complete, incomplete int) {
	p.t.Helper()
	p.Send(Scrape(ih))
	for {
		m := p.Next(10 * time.Second)
		if m.Str("action") != "scrape" {
			continue
		}
		f, ok := m["files"].(map[string]any)[ih.Bin()].(map[string]any)
		if !ok {
			p.t.Fatalf("scrape reply without the hash: %v", m)
		}
		return int(f["complete"].(float64)), int(f["incomplete"].(float64))
	}
}

// ParseID reads a binary string id of a message.
func ParseID(s string) (ID, error) {
	id, err := binstrtest.Parse[ID](s)
	if err != nil {
		return ID{}, errors.New("bad id: " + err.Error())
	}
	return id, nil
}
