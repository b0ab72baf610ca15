package trackerclient_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/testkit/wsserve"
	"github.com/swarmbridge/swarmbridge/signaling/wsproto"
	"github.com/swarmbridge/swarmbridge/trackerclient"
)

// The WebSocket client against fake trackers built on an independent
// implementation (coder/websocket), and against raw bytes where a fake
// must break RFC 6455 on purpose.

// replyWith answers every message with the next of replies (the last one
// repeats).
func replyWith(replies ...string) func(ctx context.Context, c *websocket.Conn) {
	return func(ctx context.Context, c *websocket.Conn) {
		for i := 0; ; i++ {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
			if err := c.Write(ctx, websocket.MessageText, []byte(replies[min(i, len(replies)-1)])); err != nil {
				return
			}
		}
	}
}

const goodIH = `"\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000"`

var ih1 = bittorrent.InfoHash{1}

func TestWSMalformedReplies(t *testing.T) {
	for _, tc := range []struct{ name, reply, want string }{
		{"not JSON", `{not json`, "not JSON"},
		{"not an object", `[1,2]`, "not a JSON object"},
		{"trailing data", `{"action":"announce","info_hash":` + goodIH + `} x`, "data after the JSON object"},
		{"duplicate key", `{"action":"announce","action":"announce","info_hash":` + goodIH + `}`, "a key appears twice"},
		{"no action", `{"info_hash":` + goodIH + `,"interval":120}`, `without "action"`},
		{"unknown action", `{"action":"hello","info_hash":` + goodIH + `}`, "with action `\"hello\"`"},
		{"short info_hash", `{"action":"announce","info_hash":"abc","interval":120}`, "info_hash"},
		{"info_hash above U+00FF", `{"action":"announce","info_hash":"\u0100bcdefghijklmnopqrs"}`, "info_hash"},
		{"hex info_hash", `{"action":"announce","info_hash":"0100000000000000000000000000000000000000"}`, "info_hash"},
		{"interval as text", `{"action":"announce","info_hash":` + goodIH + `,"interval":"120"}`, `"interval" is`},
		{"fractional count", `{"action":"announce","info_hash":` + goodIH + `,"interval":120,"complete":1.5}`, `"complete" is`},
		{"negative count", `{"action":"announce","info_hash":` + goodIH + `,"interval":120,"incomplete":-1}`, `"incomplete" is`},
		{"huge interval", `{"action":"announce","info_hash":` + goodIH + `,"interval":99999999999}`, "interval of more than"},
		{"failure not a string", `{"action":"announce","failure reason":7}`, `"failure reason" is`},
		{"invalid UTF-8", "{\"action\":\"announce\",\"x\":\"\xff\"}", "not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newWS(t, wsserve.Start(t, replyWith(tc.reply)), trackerclient.Options{})
			_, err := c.Announce(ctxT(t, 5*time.Second), wsAnnounce(ih1, bittorrent.PeerID{1}, 0, bittorrent.EventStarted))
			if !errors.Is(err, trackerclient.ErrMalformed) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrMalformed with %q", err, tc.want)
			}
			if c.Err() != nil {
				t.Fatalf("a bad message ended the connection: %v", c.Err())
			}
		})
	}
}

// Scrape replies: bad ones fail the scrape; hex keys work with a quirk;
// counts the reply leaves out are absent.
func TestWSScrapeReplies(t *testing.T) {
	hexKey := `"0100000000000000000000000000000000000000"`
	for _, tc := range []struct {
		name, reply string
		want        map[bittorrent.InfoHash]bittorrent.Counts
		quirk       trackerclient.Quirk
		err         string
	}{
		{"binary keys", `{"action":"scrape","files":{` + goodIH + `:{"complete":3,"incomplete":2,"downloaded":1}},"flags":{"min_request_interval":120}}`,
			map[bittorrent.InfoHash]bittorrent.Counts{ih1: {Complete: 3, Incomplete: 2, Downloaded: 1}}, "", ""},
		{"hex keys", `{"action":"scrape","files":{` + hexKey + `:{"complete":3}}}`,
			map[bittorrent.InfoHash]bittorrent.Counts{ih1: {Complete: 3}}, trackerclient.QuirkScrapeKeysHex, ""},
		{"left out", `{"action":"scrape","files":{}}`, map[bittorrent.InfoHash]bittorrent.Counts{}, "", ""},
		{"no files", `{"action":"scrape"}`, nil, "", `no "files"`},
		{"files not an object", `{"action":"scrape","files":[]}`, nil, "", "not a JSON object"},
		{"bad key", `{"action":"scrape","files":{"abc":{}}}`, nil, "", "is not an info hash"},
		{"bad entry", `{"action":"scrape","files":{` + goodIH + `:{"complete":"3"}}}`, nil, "", `"complete" is`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newWS(t, wsserve.Start(t, replyWith(tc.reply)), trackerclient.Options{})
			r, err := c.Scrape(ctxT(t, 5*time.Second), []bittorrent.InfoHash{ih1})
			if tc.err != "" {
				if !errors.Is(err, trackerclient.ErrMalformed) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want ErrMalformed with %q", err, tc.err)
				}
				return
			}
			if err != nil || len(r.Files) != len(tc.want) || r.Files[ih1] != tc.want[ih1] {
				t.Fatalf("scrape %+v, %v; want %v", r, err, tc.want)
			}
			if (tc.quirk == "") != (len(r.Quirks) == 0) || tc.quirk != "" && r.Quirks[0] != tc.quirk {
				t.Fatalf("quirks %v, want %q", r.Quirks, tc.quirk)
			}
		})
	}
}

// What bittorrent-tracker sends for a message it cannot parse: a failure
// without action or info_hash, given to the oldest request. A reply
// without interval is a quirk, not an error.
func TestWSFailureWithoutActionAndNoInterval(t *testing.T) {
	c := newWS(t, wsserve.Start(t, replyWith(
		`{"failure reason":"invalid info_hash"}`,
		`{"action":"announce","info_hash":`+goodIH+`,"complete":1,"warning message":"be nice"}`,
	)), trackerclient.Options{})
	ctx := ctxT(t, 5*time.Second)
	_, err := c.Scrape(ctx, []bittorrent.InfoHash{ih1})
	var fe *trackerclient.FailureError
	if !errors.As(err, &fe) || fe.Reason != "invalid info_hash" || fe.Action != "" || fe.HasInfoHash {
		t.Fatalf("failure without action: %v (%+v)", err, fe)
	}
	r, err := c.Announce(ctx, wsAnnounce(ih1, bittorrent.PeerID{1}, 0, bittorrent.EventStarted))
	if err != nil || r.Interval != 0 || r.Counts.Complete != 1 || r.Warning != "be nice" || len(r.Quirks) != 1 || r.Quirks[0] != trackerclient.QuirkNoInterval {
		t.Fatalf("reply without interval: %+v, %v", r, err)
	}
}

// silent reads and never answers, until the client goes.
func silent(ctx context.Context, c *websocket.Conn) {
	for {
		if _, _, err := c.Read(ctx); err != nil {
			return
		}
	}
}

func TestWSSilentTrackerAndDeadline(t *testing.T) {
	c := newWS(t, wsserve.Start(t, silent), trackerclient.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Announce(ctx, wsAnnounce(ih1, bittorrent.PeerID{1}, 0, bittorrent.EventStarted))
	if !errors.Is(err, trackerclient.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Fatalf("after %s: %v, want ErrTimeout and DeadlineExceeded", time.Since(start), err)
	}
	// A cancelled context is not a timeout.
	cctx, ccancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, ccancel)
	if _, err := c.Scrape(cctx, nil); !errors.Is(err, context.Canceled) || errors.Is(err, trackerclient.ErrTimeout) {
		t.Fatalf("cancelled: %v", err)
	}
	// A context that ended before the request was written sends nothing.
	ccancel()
	if _, err := c.Announce(cctx, wsAnnounce(ih1, bittorrent.PeerID{1}, 0, bittorrent.EventStarted)); !errors.Is(err, context.Canceled) {
		t.Fatalf("announce with a cancelled context: %v", err)
	}
	// The connection is still usable: only the requests gave up.
	if c.Err() != nil {
		t.Fatal(c.Err())
	}
}

// A reply that comes after its request gave up is not given to the next
// request of the same torrent.
func TestWSLateReplyIsDiscarded(t *testing.T) {
	release := make(chan struct{})
	var n atomic.Int32
	url := wsserve.Start(t, func(ctx context.Context, c *websocket.Conn) {
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
			i := n.Add(1)
			if i == 1 {
				select { // the first reply comes late
				case <-release:
				case <-ctx.Done():
					return
				}
			}
			reply := `{"action":"announce","info_hash":` + goodIH + `,"interval":` + string('0'+rune(i)) + `}`
			if err := c.Write(ctx, websocket.MessageText, []byte(reply)); err != nil {
				return
			}
		}
	})
	c := newWS(t, url, trackerclient.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Announce(ctx, wsAnnounce(ih1, bittorrent.PeerID{1}, 0, bittorrent.EventStarted)); !errors.Is(err, trackerclient.ErrTimeout) {
		t.Fatalf("first: %v", err)
	}
	close(release)
	r, err := c.Announce(ctxT(t, 5*time.Second), wsAnnounce(ih1, bittorrent.PeerID{1}, 0, bittorrent.EventUpdate))
	if err != nil || r.Interval != 2*time.Second {
		t.Fatalf("second: %+v, %v; want the second reply (interval 2)", r, err)
	}
	if s := c.Stats(); s != (trackerclient.WSStats{}) {
		t.Fatalf("stats %+v", s)
	}
}

// Close during a read: the waiting request fails with ErrClosed at once,
// Close returns after the reader stopped, and Messages is closed.
func TestWSCloseDuringRead(t *testing.T) {
	c := newWS(t, wsserve.Start(t, silent), trackerclient.Options{})
	errc := make(chan error, 1)
	go func() {
		_, err := c.Announce(context.Background(), wsAnnounce(ih1, bittorrent.PeerID{1}, 0, bittorrent.EventStarted))
		errc <- err
	}()
	for c.RemoteAddr() == nil {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the announce be written and wait
	start := time.Now()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, trackerclient.ErrClosed) {
		t.Fatalf("announce during Close: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second { // a hang, not a speed check
		t.Fatalf("Close took %s", d)
	}
	if _, ok := <-c.Messages(); ok {
		t.Fatal("Messages still open")
	}
	if _, err := c.Scrape(context.Background(), nil); !errors.Is(err, trackerclient.ErrClosed) || !errors.Is(c.Err(), trackerclient.ErrClosed) {
		t.Fatalf("after Close: %v, Err %v", err, c.Err())
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

// Close of a client that never connected, and concurrent Closes.
func TestWSCloseIdle(t *testing.T) {
	c, err := trackerclient.NewWS("ws://127.0.0.1:1", trackerclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { _ = c.Close() })
	}
	wg.Wait()
	if _, ok := <-c.Messages(); ok {
		t.Fatal("Messages open")
	}
	if err := c.Connect(context.Background()); !errors.Is(err, trackerclient.ErrClosed) {
		t.Fatal(err)
	}
}

// Pings are answered while the client waits.
func TestWSAnswersPings(t *testing.T) {
	pinged := make(chan error, 1)
	c := newWS(t, wsserve.Start(t, func(ctx context.Context, c *websocket.Conn) {
		go func() {
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			pinged <- c.Ping(pctx)
		}()
		silent(ctx, c) // Ping needs a reader for the pong
	}), trackerclient.Options{})
	if err := c.Connect(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := <-pinged; err != nil {
		t.Fatalf("ping: %v", err)
	}
}

// A tracker that closes with a code of its own, and one that just hangs
// up.
func TestWSTrackerHangsUp(t *testing.T) {
	closer := newWS(t, wsserve.Start(t, func(ctx context.Context, c *websocket.Conn) {
		_, _, _ = c.Read(ctx)
		_ = c.Close(4000, "go away, \x01 ünïcode")
	}), trackerclient.Options{})
	ctx := ctxT(t, 5*time.Second)
	_, err := closer.Announce(ctx, wsAnnounce(ih1, bittorrent.PeerID{1}, 0, bittorrent.EventStarted))
	var ce *trackerclient.CloseError
	if !errors.As(err, &ce) || ce.Code != 4000 || ce.Reason != "go away, \x01 ünïcode" || !strings.Contains(err.Error(), `with 4000: go away, \x01 ünïcode`) {
		t.Fatalf("close 4000: %v", err)
	}

	hangup := newWS(t, wsserve.Start(t, func(ctx context.Context, c *websocket.Conn) {
		_, _, _ = c.Read(ctx)
		_ = c.CloseNow()
	}), trackerclient.Options{})
	_, err = hangup.Announce(ctx, wsAnnounce(ih1, bittorrent.PeerID{1}, 0, bittorrent.EventStarted))
	if err == nil || !strings.Contains(err.Error(), "connection lost") || errors.As(err, &ce) {
		t.Fatalf("hang-up: %v", err)
	}
	if !errors.Is(hangup.Err(), io.EOF) {
		t.Fatalf("Err %v, want it to wrap io.EOF", hangup.Err())
	}
}

// rawWS accepts WebSocket handshakes by hand and then writes frames as
// given, for framing a correct server never sends.
func rawWS(t *testing.T, frames []byte, status string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer nc.Close()
				req, err := http.ReadRequest(bufio.NewReader(nc))
				if err != nil {
					return
				}
				accept := wsproto.AppendAcceptKey(nil, req.Header.Get("Sec-WebSocket-Key"))
				if status == "" {
					status = "101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + string(accept)
				}
				_, _ = io.WriteString(nc, "HTTP/1.1 "+status+"\r\n\r\n")
				_, _ = nc.Write(frames)
				_, _ = io.Copy(io.Discard, nc) // until the client goes
			})
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return "ws://" + ln.Addr().String()
}

// frame builds an unmasked server frame of at most 125 bytes.
func frame(b0 byte, payload string) []byte {
	if len(payload) > 125 {
		panic("frame: payload too long for a one-byte length")
	}
	return append([]byte{b0, byte(len(payload))}, payload...)
}

// A reply in fragments with a ping between them is one message; a binary
// message is unreadable for WebTorrent clients, so it is malformed.
func TestWSFragmentsAndBinary(t *testing.T) {
	reply := `{"action":"announce","info_hash":` + goodIH + `,"interval":120,"complete":7}`
	var frames []byte
	frames = append(frames, frame(0x01, reply[:10])...) // text, not final
	frames = append(frames, frame(0x89, "hi")...)       // ping in between
	frames = append(frames, frame(0x00, reply[10:100])...)
	frames = append(frames, frame(0x80, reply[100:])...) // final continuation
	c := newWS(t, rawWS(t, frames, ""), trackerclient.Options{})
	ctx := ctxT(t, 5*time.Second)
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	// The reply is read before the announce is sent: nobody waits for it.
	for c.Stats().Unmatched == 0 {
		if ctx.Err() != nil {
			t.Fatalf("the fragmented reply was not read as one: %+v", c.Stats())
		}
		time.Sleep(time.Millisecond)
	}

	bin := newWS(t, wsserve.Start(t, func(ctx context.Context, c *websocket.Conn) {
		_, _, _ = c.Read(ctx)
		_ = c.Write(ctx, websocket.MessageBinary, []byte(reply))
		silent(ctx, c)
	}), trackerclient.Options{})
	_, err := bin.Announce(ctx, wsAnnounce(ih1, bittorrent.PeerID{1}, 0, bittorrent.EventStarted))
	if !errors.Is(err, trackerclient.ErrMalformed) || !strings.Contains(err.Error(), "a binary message") {
		t.Fatalf("binary reply: %v", err)
	}
}

func TestWSFramingViolations(t *testing.T) {
	big := make([]byte, 0, 20)
	big = append(big, 0x81, 127)
	big = append(big, 0, 0, 0, 0, 0, 0x10, 0, 1) // 1 MiB + 1 announced
	for _, tc := range []struct {
		name   string
		frames []byte
		status string
		want   string
	}{
		{"masked server frame", []byte{0x81, 0x81, 1, 2, 3, 4, 'x'}, "", "masked frame from the server"},
		{"reserved bits", []byte{0xC1, 0x01, 'x'}, "", "reserved bits set"},
		{"orphan continuation", []byte{0x80, 0x01, 'x'}, "", "continuation frame without a message"},
		{"oversized message", big, "", "a message of more than"},
		{"bad close code", []byte{0x88, 0x02, 0x03, 0xe7}, "", "invalid close code"},
		{"upgrade refused", nil, "429 Too Many Requests\r\nContent-Length: 5\r\n\r\nslow!", "tracker answered HTTP 429: slow!"},
		{"bad accept key", nil, "101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: nope", "Sec-WebSocket-Accept"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newWS(t, rawWS(t, tc.frames, tc.status), trackerclient.Options{})
			ctx := ctxT(t, 5*time.Second)
			_, err := c.Announce(ctx, wsAnnounce(ih1, bittorrent.PeerID{1}, 0, bittorrent.EventStarted))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// A server that takes the TCP connection and never answers the upgrade:
// the handshake ends with the context.
func TestWSHandshakeDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		_, _ = io.Copy(io.Discard, nc) // until the client gives up
	})
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	c := newWS(t, "ws://"+ln.Addr().String(), trackerclient.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := c.Connect(ctx); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Fatalf("after %s: %v, want the context's deadline", time.Since(start), err)
	}
	if c.RemoteAddr() != nil {
		t.Fatal("a failed handshake left a connection")
	}
}
