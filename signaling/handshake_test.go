package signaling_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/signaling"
)

// The opening handshake (RFC 6455 §4.2), sent by hand.

// rawRequest sends req on a new connection and returns the response.
func (tr *tracker) rawRequest(t *testing.T, req string) *http.Response {
	t.Helper()
	nc, err := net.DialTimeout("tcp", tr.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestBadHandshakesAreRefusedWithAPlainReason(t *testing.T) {
	tr := newTracker(t, func(c *signaling.Config) { c.MaxConns = 1 })
	key := newKey()
	good := handshakeRequest(key)
	for _, tc := range []struct {
		name, req string
		status    int
		body      string
		header    [2]string
	}{
		{"not an upgrade", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 426, "Connection header", [2]string{"Upgrade", "websocket"}},
		{"missing Upgrade", strings.Replace(good, "Upgrade: websocket\r\n", "", 1), 426, "Upgrade header", [2]string{"Connection", "Upgrade"}},
		{"Upgrade to something else", strings.Replace(good, "Upgrade: websocket", "Upgrade: h2c", 1), 426, "Upgrade header", [2]string{}},
		{"Connection without upgrade", strings.Replace(good, "Connection: Upgrade", "Connection: keep-alive", 1), 426, "Connection header", [2]string{}},
		{"HTTP/1.0", strings.Replace(good, "HTTP/1.1", "HTTP/1.0", 1), 426, "HTTP/1.1", [2]string{}},
		{"POST", strings.Replace(good, "GET", "POST", 1), 405, "not GET", [2]string{}},
		{"version 8", strings.Replace(good, "Version: 13", "Version: 8", 1), 400, "only 13", [2]string{"Sec-WebSocket-Version", "13"}},
		{"no version", strings.Replace(good, "Sec-WebSocket-Version: 13\r\n", "", 1), 400, "only 13", [2]string{}},
		{"no key", strings.Replace(good, "Sec-WebSocket-Key: "+key+"\r\n", "", 1), 400, "missing Sec-WebSocket-Key", [2]string{}},
		{"key not base64", strings.Replace(good, key, "not base64 at all!", 1), 400, "invalid Sec-WebSocket-Key", [2]string{}},
		{"key of 15 bytes", strings.Replace(good, key, "AAAAAAAAAAAAAAAAAAAA", 1), 400, "invalid Sec-WebSocket-Key", [2]string{}},
		{"two keys", strings.Replace(good, "\r\n\r\n", "\r\nSec-WebSocket-Key: "+newKey()+"\r\n\r\n", 1), 400, "multiple", [2]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := tr.rawRequest(t, tc.req)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.body) {
				t.Fatalf("%s %q, want %d with %q", resp.Status, body, tc.status, tc.body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Fatalf("Content-Type %q", ct)
			}
			if tc.header[0] != "" && resp.Header.Get(tc.header[0]) != tc.header[1] {
				t.Fatalf("%s: %q, want %q", tc.header[0], resp.Header.Get(tc.header[0]), tc.header[1])
			}
		})
	}
	// None of them kept the one connection slot.
	c := tr.dial(t)
	ih := randID()
	c.send(announce(ih, randID(), "started", 0))
	expectAnnounceResponse(t, c, ih)
}

func TestHandshakeNegotiatesNoExtensionOrSubprotocol(t *testing.T) {
	tr := newTracker(t, nil)
	key := newKey()
	req := strings.Replace(handshakeRequest(key), "\r\n\r\n",
		"\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\nSec-WebSocket-Protocol: chat, superchat\r\n\r\n", 1)
	resp := tr.rawRequest(t, req)
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("%s", resp.Status)
	}
	for h, want := range map[string]string{
		"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Accept": acceptFor(key),
		"Sec-WebSocket-Extensions": "", "Sec-WebSocket-Protocol": "",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
}

func TestFramesRightBehindTheHandshakeAreServed(t *testing.T) {
	forEachReadPath(t, func(t *testing.T) {
		tr := newTracker(t, nil)
		ih := randID()
		// An announce in the same write as the request headers, and the
		// start of a scrape whose rest comes later.
		scrape := textFrame(map[string]any{"action": "scrape", "info_hash": bin(ih)})
		rc := tr.rawDial(t, append(textFrame(announce(ih, randID(), "started", 0)), scrape[:9]...))
		if m := rc.next(); m.str("action") != "announce" || m.str("info_hash") != bin(ih) {
			t.Fatalf("want the announce response, got %v", m)
		}
		time.Sleep(50 * time.Millisecond)
		rc.write(scrape[9:])
		if m := rc.next(); m.str("action") != "scrape" {
			t.Fatalf("want the scrape response, got %v", m)
		}
	})
}

func TestAClientThatClosesRightBehindTheHandshakeIsGone(t *testing.T) {
	forEachReadPath(t, func(t *testing.T) {
		obs := &closeObserver{}
		tr := newTracker(t, func(c *signaling.Config) { c.Observer = obs })
		rc := tr.rawDial(t, frame(true, opClose, closePayload(1000, "changed my mind")))
		if op, p := rc.control(); op != opClose || string(p) != string(closePayload(1000, "")) {
			t.Fatalf("want the close echoed, got %x %q", op, p)
		}
		rc.expectEOF()
		waitFor(t, func() bool { return tr.h.Conns() == 0 && obs.reason() == signaling.CloseClient })
	})
}
