package signaling_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/internal/signalstore"
	"github.com/swarmbridge/swarmbridge/internal/swarm/memory"
	"github.com/swarmbridge/swarmbridge/signaling"
)

// The WebSocket transport: frames, control frames and close handshakes,
// on both read paths (pollers and reader goroutines), plain TCP and TLS.

// forEachReadPath runs test with connections served by the pollers and
// with connections served by reader goroutines.
func forEachReadPath(t *testing.T, test func(t *testing.T)) {
	t.Helper()
	t.Run("pollers", test)
	t.Run("reader-goroutines", func(t *testing.T) {
		readerGoroutines = true
		defer func() { readerGoroutines = false }()
		test(t)
	})
}

func TestProtocolViolationsCloseWith1002(t *testing.T) {
	for _, tc := range []struct {
		name  string
		frame []byte
	}{
		{"unmasked frame", rawFrame(true, 0, opText, []byte(`{"action":"scrape"}`), true)},
		{"RSV1 without deflate", rawFrame(true, 0x40, opText, []byte(`{}`), false)},
		{"reserved opcode", frame(true, 0x3, nil)},
		{"fragmented ping", frame(false, opPing, nil)},
		{"ping over 125 bytes", frame(true, opPing, make([]byte, 126))},
		{"continuation without a message", frame(true, opCont, []byte("x"))},
		{"close code 1005", frame(true, opClose, closePayload(1005, ""))},
		{"close of one byte", frame(true, opClose, []byte{3})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachReadPath(t, func(t *testing.T) {
				obs := &closeObserver{}
				tr := newTracker(t, func(c *signaling.Config) { c.Observer = obs })
				rc := tr.rawDial(t, nil)
				rc.write(tc.frame)
				rc.expectClose(1002)
				waitFor(t, func() bool { return obs.reason() == signaling.CloseReadError && tr.h.Conns() == 0 })
			})
		})
	}
}

// A text message that is not UTF-8 fails the connection with 1007 (RFC
// 6455 §8.1), also when its fragments split a code point, and the message
// never reaches the relay. A binary message carries no text: invalid
// UTF-8 there only gets the decoder's failure, and the connection stays.
func TestInvalidUTF8InATextMessageClosesWith1007(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frames [][]byte
	}{
		{"whole", [][]byte{frame(true, opText, []byte("{\"action\":\"scrape\",\"x\":\"\xff\xfe\"}"))}},
		{"fragmented", [][]byte{
			frame(false, opText, []byte("{\"action\":\"scrape\",\"x\":\"\xf0\x9f")),
			frame(true, opCont, []byte("\x98\x80\"}")),      // a valid code point, then
			frame(true, opText, []byte("\"\xed\xa0\x80\"")), // a surrogate
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachReadPath(t, func(t *testing.T) {
				obs := &closeObserver{}
				tr := newTracker(t, func(c *signaling.Config) { c.Observer = obs })
				rc := tr.rawDial(t, nil)
				rc.write(tc.frames...)
				if tc.name == "fragmented" {
					// The first message, valid once whole, is answered.
					if m := rc.next(); m.str("action") != "scrape" {
						t.Fatalf("want the reply to the valid message, got %v", m)
					}
				}
				rc.expectClose(1007)
				waitFor(t, func() bool { return obs.reason() == signaling.CloseInvalidUTF8 && tr.h.Conns() == 0 })
			})
		})
	}
	t.Run("binary", func(t *testing.T) {
		forEachReadPath(t, func(t *testing.T) {
			tr := newTracker(t, nil)
			rc := tr.rawDial(t, nil)
			rc.write(frame(true, opBinary, []byte("{\"action\":\"scrape\",\"x\":\"\xff\xfe\"}")))
			if m := rc.next(); !strings.Contains(m.str("failure reason"), "UTF-8") {
				t.Fatalf("want a UTF-8 failure, got %v", m)
			}
			rc.write(textFrame(map[string]any{"action": "scrape", "info_hash": bin(randID())}))
			if m := rc.next(); m.str("action") != "scrape" || m["failure reason"] != nil {
				t.Fatalf("the connection no longer works: %v", m)
			}
		})
	})
}

func TestPingsGetPongsAndFragmentsMayHaveControlFramesBetween(t *testing.T) {
	forEachReadPath(t, func(t *testing.T) {
		tr := newTracker(t, nil)
		rc := tr.rawDial(t, nil)
		rc.write(frame(true, opPing, []byte("are you there")))
		if op, p := rc.control(); op != opPong || string(p) != "are you there" {
			t.Fatalf("want the pong, got %x %q", op, p)
		}
		ih := randID()
		msg, _ := json.Marshal(announce(ih, randID(), "started", 0))
		rc.write(
			frame(false, opText, msg[:10]),
			frame(true, opPing, []byte("1")),
			frame(false, opCont, msg[10:20]),
			frame(true, opPong, nil),
			frame(false, opCont, nil),
		)
		if op, p := rc.control(); op != opPong || string(p) != "1" {
			t.Fatalf("want the pong between fragments, got %x %q", op, p)
		}
		rc.write(frame(true, opCont, msg[20:]))
		if m := rc.next(); m.str("action") != "announce" || m.str("info_hash") != bin(ih) {
			t.Fatalf("want the announce response, got %v", m)
		}
		// Binary messages are served as well, here split over many writes.
		scrape := frame(true, opBinary, []byte(`{"action":"scrape","info_hash":"`+bin(ih)+`"}`))
		for i := range scrape {
			rc.write(scrape[i : i+1])
		}
		if m := rc.next(); m.str("action") != "scrape" {
			t.Fatalf("want the scrape response, got %v", m)
		}
	})
}

func TestFragmentsOverTheMessageSizeCloseWith1009(t *testing.T) {
	forEachReadPath(t, func(t *testing.T) {
		obs := &closeObserver{}
		tr := newTracker(t, func(c *signaling.Config) { c.MaxMessageSize = 4096; c.Observer = obs })
		rc := tr.rawDial(t, nil)
		chunk := make([]byte, 1500)
		rc.write(frame(false, opText, chunk), frame(false, opCont, chunk), frame(true, opCont, chunk))
		rc.expectClose(1009)
		waitFor(t, func() bool { return obs.reason() == signaling.CloseMessageTooBig })
	})
}

func TestClientCloseIsEchoedWithItsCode(t *testing.T) {
	forEachReadPath(t, func(t *testing.T) {
		tr := newTracker(t, nil)
		rc := tr.rawDial(t, nil)
		rc.write(frame(true, opClose, closePayload(4000, "bye")))
		if op, p := rc.control(); op != opClose || string(p) != string(closePayload(4000, "")) {
			t.Fatalf("want close 4000 back, got %x %q", op, p)
		}
		rc.expectEOF()

		// A close without a code is answered without one, and messages
		// behind a close are not handled.
		rc = tr.rawDial(t, nil)
		rc.write(frame(true, opClose, nil), textFrame(announce(randID(), randID(), "started", 0)))
		if op, p := rc.control(); op != opClose || len(p) != 0 {
			t.Fatalf("want an empty close back, got %x %q", op, p)
		}
		rc.expectEOF()
	})
}

func TestTrackerCloseWaitsABoundedTimeForTheClient(t *testing.T) {
	forEachReadPath(t, func(t *testing.T) {
		tr := newTracker(t, func(c *signaling.Config) { c.MaxInvalidPerMinute = 1 })
		rc := tr.rawDial(t, nil)
		// Garbage until the tracker closes with 1008; this client never
		// answers the close frame, so the tracker drops it after CloseWait.
		rc.write(frame(true, opText, []byte("x")), frame(true, opText, []byte("y")))
		start := time.Now()
		for {
			op, p, err := rc.readFrame() // two failure replies, then the close
			if err != nil {
				t.Fatal(err)
			}
			if op == opClose {
				if string(p[:2]) != string(closePayload(1008, "")) {
					t.Fatalf("close %q", p)
				}
				break
			}
		}
		rc.expectEOF()
		if d := time.Since(start); d > signaling.CloseWait+2*time.Second {
			t.Fatalf("dropped after %v", d)
		}
		waitFor(t, func() bool { return tr.h.Conns() == 0 })
	})
}

func TestShutdownIsBoundedByItsContext(t *testing.T) {
	forEachReadPath(t, func(t *testing.T) {
		tr := newTracker(t, nil)
		// Clients that never answer a close frame.
		for range 5 {
			tr.rawDial(t, nil)
		}
		waitFor(t, func() bool { return tr.h.Conns() == 5 })
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		if err := tr.h.Shutdown(ctx); err != context.DeadlineExceeded {
			t.Fatalf("shutdown: %v", err)
		}
		if d := time.Since(start); d > time.Second || tr.h.Conns() != 0 {
			t.Fatalf("shutdown took %v and left %d connections", d, tr.h.Conns())
		}
	})
}

func TestShutdownWaitsForTheCloseHandshakeAtMostCloseWait(t *testing.T) {
	forEachReadPath(t, func(t *testing.T) {
		tr := newTracker(t, nil)
		rc := tr.rawDial(t, nil)
		polite := tr.dial(t) // answers the close frame at once
		waitFor(t, func() bool { return tr.h.Conns() == 2 })
		start := time.Now()
		if err := tr.h.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > signaling.CloseWait+2*time.Second {
			t.Fatalf("shutdown took %v", d)
		}
		if code := polite.closed(); code != websocket.StatusGoingAway {
			t.Fatalf("close code %v", code)
		}
		rc.expectClose(1001)
	})
}

func TestPlainConnectionsAreServedByPollersWithoutAGoroutineEach(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pollers are Linux-only")
	}
	tr := newTracker(t, nil)
	tr.dial(t) // starts the pollers
	before := runtime.NumGoroutine()
	const n = 50
	for range n {
		tr.rawDial(t, nil)
	}
	waitFor(t, func() bool { return tr.h.Conns() == n+1 && signaling.PolledConns(tr.h) == n+1 })
	// Let net/http's goroutines of the upgrades finish.
	waitFor(t, func() bool { return runtime.NumGoroutine()-before < 5 })
}

func TestReaderGoroutinesServeEveryConnectionWhenAsked(t *testing.T) {
	readerGoroutines = true
	defer func() { readerGoroutines = false }()
	tr := newTracker(t, nil)
	tr.dial(t)
	if signaling.PolledConns(tr.h) != 0 {
		t.Fatal("a connection is polled")
	}
}

// TLS connections work the same whichever listener they come from: those
// of NewTLSListener are read by the pollers (on Linux), those of
// tls.NewListener by a reader goroutine each, since crypto/tls reading a
// plain TCP connection would block a poller.
func TestTLSConnections(t *testing.T) {
	for _, tc := range []struct {
		name   string
		polled bool
	}{{"NewTLSListener", runtime.GOOS == "linux"}, {"tls.NewListener", false}} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := signaling.New(signaling.Config{
				Swarms: signalstore.New(memory.New(memory.Options{}), 5*time.Minute),
				Logger: zerolog.Nop(),
			})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewUnstartedServer(h)
			srv.StartTLS()
			cert := srv.Certificate()
			if tc.name == "NewTLSListener" {
				// The same certificate, served through the relay's listener.
				cfg := srv.TLS
				srv.Listener.Close()
				srv.Close()
				srv = httptest.NewUnstartedServer(h)
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				srv.Listener = signaling.NewTLSListener(ln, cfg)
				srv.TLS = cfg
				srv.Start()
			}
			defer srv.Close()
			defer func() {
				if err := h.Shutdown(context.Background()); err != nil {
					t.Error(err)
				}
			}()
			host := strings.TrimPrefix(strings.TrimPrefix(srv.URL, "https://"), "http://")
			tr := &tracker{url: "wss://" + host, h: h}
			roots := x509.NewCertPool()
			roots.AddCert(cert)
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
			opts := &websocket.DialOptions{HTTPClient: client}
			a, b := tr.dialWith(t, opts), tr.dialWith(t, opts)
			waitFor(t, func() bool { return h.Conns() == 2 })
			if polled := signaling.PolledConns(h); (polled == 2) != tc.polled || (polled == 0) == tc.polled {
				t.Fatalf("%d of %d TLS connections polled", polled, h.Conns())
			}
			ih, aID, bID := randID(), randID(), randID()
			a.send(announce(ih, aID, "started", 0))
			expectAnnounceResponse(t, a, ih)
			offer := relayOne(t, ih, bID, b, a)
			a.send(answerMsg(ih, aID, bID, offer.id, "v=0\r\n"))
			if m := b.next(); m["answer"] == nil {
				t.Fatalf("want the answer, got %v", m)
			}
			// Many frames at once go out over TLS as well.
			for range 50 {
				b.send(map[string]any{"action": "scrape", "info_hash": bin(ih)})
			}
			for range 50 {
				if m := b.next(); m.str("action") != "scrape" {
					t.Fatalf("want a scrape response, got %v", m)
				}
			}
		})
	}
}

func TestQueuedFramesArriveInOrderWhenTheClientCatchesUp(t *testing.T) {
	forEachReadPath(t, func(t *testing.T) {
		tr := newTracker(t, func(c *signaling.Config) { c.SendQueueLen = 1000; c.SendQueueBytes = 16 << 20 })
		rc := tr.rawDial(t, nil)
		// Scrapes of 100 hashes each, with ~7 KB responses: more than the
		// socket buffers take while the client does not read, so the rest
		// waits in the send queue and goes out in batches.
		const n = 800
		hashes := make([]string, 100)
		for i := range hashes {
			hashes[i] = bin(randID())
		}
		marker := func(i int) string {
			return bin(append([]byte("order-marker-"), byte('0'+i/100), byte('0'+i/10%10), byte('0'+i%10), 0, 0, 0, 0))
		}
		var frames [][]byte
		for i := range n {
			hashes[0] = marker(i)
			frames = append(frames, textFrame(map[string]any{"action": "scrape", "info_hash": hashes}))
		}
		rc.write(frames...)
		time.Sleep(300 * time.Millisecond)
		for i := range n {
			m := rc.next()
			if files, _ := m["files"].(map[string]any); files[marker(i)] == nil || len(files) != 100 {
				t.Fatalf("response %d out of order or incomplete", i)
			}
		}
	})
}
