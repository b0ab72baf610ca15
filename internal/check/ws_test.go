package check

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/swarmbridge/swarmbridge/internal/testkit/servertest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/wsserve"
	"github.com/swarmbridge/swarmbridge/signaling/wire"
)

// wss:// with a test certificate: trusted with -ca, or with -insecure;
// refused at connect otherwise. -ca covers https:// too.
func TestWSSWithTestCertificate(t *testing.T) {
	tr := servertest.StartTLS(t, nil, nil)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tr.HTTP.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	wss := tr.WSURL()
	if !strings.HasPrefix(wss, "wss://") {
		t.Fatal(wss)
	}
	rep, code, stderr := runCheck(t, "-ca", ca, wss, tr.HTTP.URL+"/announce")
	if code != 0 {
		t.Fatalf("-ca: exit %d, %s", code, stderr)
	}
	wantRows(t, rep.Trackers[0], allPassWS()...)
	wantRows(t, rep.Trackers[1], allPass("reach")...)
	if d := rep.Trackers[0].Steps[0].Detail; !strings.Contains(d, ", TLS 1.3") {
		t.Errorf("connect %q: want the TLS version", d)
	}

	rep, code, _ = runCheck(t, "-insecure", wss)
	if code != 0 {
		t.Fatalf("-insecure: exit %d", code)
	}
	wantRows(t, rep.Trackers[0], allPassWS()...)

	rep, code, _ = runCheck(t, wss)
	if code != 1 {
		t.Fatalf("untrusted: exit %d", code)
	}
	wantRows(t, rep.Trackers[0], "connect FAIL", "announce SKIP", "scrape SKIP", "peers SKIP", "scrape-peers SKIP",
		"offer-relay SKIP", "webrtc SKIP", "stopped SKIP", "scrape-stopped SKIP")
	if d := rep.Trackers[0].Steps[0].Detail; !strings.Contains(d, "TLS handshake") || !strings.Contains(d, "certificate") {
		t.Errorf("untrusted connect %q", d)
	}
}

// fakeWSTracker is a WebSocket tracker that keeps one swarm's counts
// right and answers scrapes, and relays offers and answers only as far as
// its mode lets it.
type fakeWSTracker struct {
	// relayOffers and relayAnswers turn relaying on; forgePeerID relays
	// offers with a peer id that is not the offerer's.
	relayOffers, relayAnswers, forgePeerID bool

	mu    sync.Mutex
	ih    wire.BinaryID               // the swarm (the checker uses one)
	peers map[wire.BinaryID]*fakePeer // by peer id
}

type fakePeer struct {
	conn   *websocket.Conn
	seeder bool
}

// fakeMsg is what the fake reads from clients.
type fakeMsg struct {
	Action   string           `json:"action"`
	InfoHash json.RawMessage  `json:"info_hash"` // a string, or an array in scrapes
	PeerID   wire.BinaryID    `json:"peer_id"`
	ToPeerID wire.BinaryID    `json:"to_peer_id"`
	OfferID  wire.BinaryID    `json:"offer_id"`
	Left     *int64           `json:"left"`
	Event    string           `json:"event"`
	Answer   json.RawMessage  `json:"answer"`
	Offers   []map[string]any `json:"offers"`
}

func (f *fakeWSTracker) start(t *testing.T) string {
	f.peers = map[wire.BinaryID]*fakePeer{}
	return wsserve.Start(t, f.serve)
}

func (f *fakeWSTracker) serve(ctx context.Context, c *websocket.Conn) {
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			return
		}
		var m fakeMsg
		if json.Unmarshal(b, &m) != nil {
			return
		}
		var ih wire.BinaryID
		var hashes []wire.BinaryID
		if json.Unmarshal(m.InfoHash, &hashes) != nil { // not an array
			if json.Unmarshal(m.InfoHash, &ih) != nil {
				return
			}
			hashes = []wire.BinaryID{ih}
		}
		var out []struct {
			to  *websocket.Conn
			msg map[string]any
		}
		send := func(to *websocket.Conn, msg map[string]any) {
			out = append(out, struct {
				to  *websocket.Conn
				msg map[string]any
			}{to, msg})
		}
		f.mu.Lock()
		switch {
		case m.Action == "scrape":
			files := map[wire.BinaryID]map[string]int{}
			for _, h := range hashes {
				files[h] = map[string]int{"complete": 0, "incomplete": 0, "downloaded": 0}
				if h == f.ih {
					files[h] = f.counts()
				}
			}
			send(c, map[string]any{"action": "scrape", "files": files})
		case len(m.Answer) > 0 && string(m.Answer) != "null":
			if to, ok := f.peers[m.ToPeerID]; ok && f.relayAnswers {
				send(to.conn, map[string]any{"action": "announce", "info_hash": ih, "peer_id": m.PeerID, "offer_id": m.OfferID, "answer": m.Answer})
			}
		default:
			f.ih = ih
			if m.Event == "stopped" {
				delete(f.peers, m.PeerID)
			} else {
				f.peers[m.PeerID] = &fakePeer{conn: c, seeder: m.Left != nil && *m.Left == 0}
			}
			cnt := f.counts()
			send(c, map[string]any{"action": "announce", "info_hash": ih, "interval": 120, "complete": cnt["complete"], "incomplete": cnt["incomplete"]})
			i := 0
			for id, p := range f.peers {
				if id == m.PeerID || i >= len(m.Offers) || !f.relayOffers {
					continue
				}
				from := m.PeerID
				if f.forgePeerID {
					from[0] ^= 1
				}
				send(p.conn, map[string]any{"action": "announce", "info_hash": ih, "peer_id": from,
					"offer_id": m.Offers[i]["offer_id"], "offer": m.Offers[i]["offer"]})
				i++
			}
		}
		f.mu.Unlock()
		for _, o := range out {
			b, _ := json.Marshal(o.msg)
			_ = o.to.Write(ctx, websocket.MessageText, b)
		}
	}
}

// counts is the swarm's complete and incomplete (f.mu held).
func (f *fakeWSTracker) counts() map[string]int {
	c := map[string]int{"complete": 0, "incomplete": 0, "downloaded": 0}
	for _, p := range f.peers {
		if p.seeder {
			c["complete"]++
		} else {
			c["incomplete"]++
		}
	}
	return c
}

// A tracker that accepts announces but never relays offers fails both
// relay steps, saying so; the rest passes.
func TestTrackerThatNeverRelays(t *testing.T) {
	url := (&fakeWSTracker{}).start(t)
	rep, code, _ := runCheck(t, "-timeout", "2s", url)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	r := rep.Trackers[0]
	wantRows(t, r, "connect PASS", "announce PASS", "scrape PASS", "peers PASS", "scrape-peers PASS",
		"offer-relay FAIL", "webrtc FAIL", "stopped PASS", "scrape-stopped PASS")
	const want = "no offer arrived at peer B within 2s: the tracker accepted the announce but did not relay the offer"
	for _, i := range []int{5, 6} {
		if d := r.Steps[i].Detail; d != want {
			t.Errorf("%s: %q, want %q", r.Steps[i].Step, d, want)
		}
	}
}

// Offers relayed, answers not; and offers relayed under another peer id.
func TestTrackerThatRelaysWrongly(t *testing.T) {
	url := (&fakeWSTracker{relayOffers: true}).start(t)
	rep, _, _ := runCheck(t, "-timeout", "2s", url)
	r := rep.Trackers[0]
	wantRows(t, r, "connect PASS", "announce PASS", "scrape PASS", "peers PASS", "scrape-peers PASS",
		"offer-relay FAIL", "webrtc FAIL", "stopped PASS", "scrape-stopped PASS")
	const want = "no answer arrived at peer A within 2s: the tracker did not relay B's answer"
	for _, i := range []int{5, 6} {
		if d := r.Steps[i].Detail; d != want {
			t.Errorf("%s: %q, want %q", r.Steps[i].Step, d, want)
		}
	}

	url = (&fakeWSTracker{relayOffers: true, relayAnswers: true, forgePeerID: true}).start(t)
	rep, _, _ = runCheck(t, "-timeout", "2s", url)
	r = rep.Trackers[0]
	if s := r.Steps[5]; s.Step != "offer-relay" || s.Status != Fail || !strings.HasPrefix(s.Detail, "the offer came with peer_id ") || !strings.Contains(s.Detail, ", not A's ") {
		t.Errorf("forged peer id: %+v", s)
	}
}
