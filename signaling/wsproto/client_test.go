package wsproto_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/swarmbridge/swarmbridge/signaling/wsproto"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The client is checked against an independent server implementation
// (coder/websocket).

// echoServer echoes every message; a message "ping me" makes it ping the
// client first and wait for the pong, "close me" closes with 4000, and
// "fragments" is answered in three fragments.
func echoServer(t *testing.T) *url.URL {
	t.Helper()
	srv := httptest.NewServer(echoHandler())
	t.Cleanup(srv.Close)
	u, err := url.Parse("ws" + strings.TrimPrefix(srv.URL, "http") + "/path?x=1")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// tlsEchoServer is echoServer behind TLS; roots trusts its certificate.
func tlsEchoServer(t *testing.T) (u *url.URL, roots *x509.CertPool) {
	t.Helper()
	srv := httptest.NewTLSServer(echoHandler())
	t.Cleanup(srv.Close)
	u, err := url.Parse("wss" + strings.TrimPrefix(srv.URL, "https") + "/path?x=1")
	if err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	return u, roots
}

func echoHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") != "http://example.test" {
			http.Error(w, "no origin", http.StatusForbidden)
			return
		}
		ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ws.SetReadLimit(1 << 20)
		ctx := r.Context()
		for {
			typ, msg, err := ws.Read(ctx)
			if err != nil {
				return
			}
			switch string(msg) {
			case "ping me":
				// Ping needs a reader for the pong; it reads until the
				// client goes.
				read := make(chan struct{})
				go func() {
					defer close(read)
					_, _, _ = ws.Read(ctx)
				}()
				pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				err := ws.Ping(pctx)
				cancel()
				if err == nil {
					_ = ws.Write(ctx, websocket.MessageText, []byte("pong came"))
				}
				<-read
				return
			case "close me":
				_ = ws.Close(4000, "bye")
				return
			case "fragments":
				w, err := ws.Writer(ctx, websocket.MessageText)
				if err != nil {
					return
				}
				for _, part := range []string{"one ", "two ", "three"} {
					if _, err := w.Write([]byte(part)); err != nil {
						return
					}
				}
				if err := w.Close(); err != nil {
					return
				}
				continue
			}
			if err := ws.Write(ctx, typ, msg); err != nil {
				return
			}
		}
	})
}

func dial(t *testing.T, u *url.URL, readBuf int) *wsproto.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := wsproto.Dial(ctx, u, wsproto.DialOptions{
		Header:         http.Header{"Origin": {"http://example.test"}},
		ReadBufferSize: readBuf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.NetConn().SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

func send(t *testing.T, c *wsproto.Conn, msg string) {
	t.Helper()
	b := append(make([]byte, wsproto.MaxClientHeader), msg...)
	if err := c.WriteFrame(wsproto.OpText, b); err != nil {
		t.Fatal(err)
	}
}

func TestConnEchoesMessagesOfEverySize(t *testing.T) {
	c := dial(t, echoServer(t), 4096)
	for _, n := range []int{0, 1, 125, 126, 4000, 4096, 5000, 70000} {
		msg := strings.Repeat("x", n)
		send(t, c, msg)
		got, err := c.ReadMessage()
		if err != nil || string(got) != msg {
			t.Fatalf("%d bytes: got %d bytes, %v", n, len(got), err)
		}
	}
}

func TestConnSpeaksWSS(t *testing.T) {
	u, roots := tlsEchoServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := wsproto.Dial(ctx, u, wsproto.DialOptions{
		Header:    http.Header{"Origin": {"http://example.test"}},
		TLSConfig: &tls.Config{RootCAs: roots},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, n := range []int{0, 125, 70000} {
		msg := strings.Repeat("s", n)
		send(t, c, msg)
		if got, err := c.ReadMessage(); err != nil || string(got) != msg {
			t.Fatalf("%d bytes over wss: got %d bytes, %v", n, len(got), err)
		}
	}
}

func TestConnReassemblesFragmentsAndAnswersPings(t *testing.T) {
	c := dial(t, echoServer(t), 4096)
	send(t, c, "fragments")
	if got, err := c.ReadMessage(); err != nil || string(got) != "one two three" {
		t.Fatalf("fragmented message: %q %v", got, err)
	}
	send(t, c, "ping me")
	if got, err := c.ReadMessage(); err != nil || string(got) != "pong came" {
		t.Fatalf("after the ping: %q %v", got, err)
	}
}

func TestConnReportsTheServersClose(t *testing.T) {
	c := dial(t, echoServer(t), 4096)
	send(t, c, "close me")
	_, err := c.ReadMessage()
	var ce *wsproto.CloseError
	if !errors.Is(err, wsproto.ErrClosed) || !errors.As(err, &ce) || ce.Code != 4000 || ce.Reason != "bye" {
		t.Fatalf("after the server's close: %v, want ErrClosed with 4000 \"bye\"", err)
	}
}

func TestConnReportsTheOpcode(t *testing.T) {
	c := dial(t, echoServer(t), 4096)
	for _, op := range []wsproto.Opcode{wsproto.OpBinary, wsproto.OpText} {
		b := append(make([]byte, wsproto.MaxClientHeader), "echo"...)
		if err := c.WriteFrame(op, b); err != nil {
			t.Fatal(err)
		}
		if got, msg, err := c.ReadMessageOp(); err != nil || got != op || string(msg) != "echo" {
			t.Fatalf("sent opcode %x, got %x %q %v", op, got, msg, err)
		}
	}
	send(t, c, "fragments")
	if op, msg, err := c.ReadMessageOp(); err != nil || op != wsproto.OpText || string(msg) != "one two three" {
		t.Fatalf("fragmented text: %x %q %v", op, msg, err)
	}
}

func TestDialFailsClearly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u := echoServer(t)
	// No Origin: the server refuses with 403.
	_, err := wsproto.Dial(ctx, u, wsproto.DialOptions{})
	var se *wsproto.StatusError
	if !errors.As(err, &se) || se.StatusCode != 403 || se.Body != "no origin\n" || !strings.Contains(err.Error(), "HTTP 403") {
		t.Errorf("refused upgrade: %v, want HTTP 403 with the body", err)
	}
	wss := *u
	wss.Scheme = "wss"
	if _, err := wsproto.Dial(ctx, &wss, wsproto.DialOptions{}); err == nil || !strings.Contains(err.Error(), "TLS handshake") {
		t.Errorf("wss:// to a plain server: %v, want a TLS handshake error", err)
	}
	// A certificate nobody vouches for is refused.
	untrusted, _ := tlsEchoServer(t)
	if _, err := wsproto.Dial(ctx, untrusted, wsproto.DialOptions{}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("wss:// with an untrusted certificate: %v, want a certificate error", err)
	}
	// A server that never answers the handshake: ctx ends it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err == nil {
			<-ctx.Done()
			c.Close()
		}
	}()
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	silent := &url.URL{Scheme: "ws", Host: ln.Addr().String(), Path: "/"}
	if _, err := wsproto.Dial(short, silent, wsproto.DialOptions{}); err == nil {
		t.Error("handshake with a silent server succeeded")
	}
	cancel()
	<-done
}

// fakeConn is a net.Conn whose reads replay one stream forever and whose
// writes go nowhere, to measure the client's own cost.
type fakeConn struct {
	net.Conn
	stream []byte
	off    int
}

func (f *fakeConn) Read(p []byte) (int, error) {
	n := copy(p, f.stream[f.off:])
	f.off = (f.off + n) % len(f.stream)
	return n, nil
}

func (f *fakeConn) Write(p []byte) (int, error) { return len(p), nil }

// Writing a message and reading one allocate nothing: the load generator
// sends and receives tens of thousands a second.
func TestConnHotPathsDoNotAllocate(t *testing.T) {
	msg := bytes.Repeat([]byte("m"), 1500)
	frame := append(make([]byte, wsproto.MaxServerHeader), msg...)
	off := wsproto.PutServerHeader(frame, wsproto.OpText)
	fc := &fakeConn{stream: bytes.Repeat(frame[off:], 8)}
	c := wsproto.NewClientConn(fc, 4096)
	buf := make([]byte, wsproto.MaxClientHeader, wsproto.MaxClientHeader+len(msg))
	if n := testing.AllocsPerRun(200, func() {
		b := append(buf[:wsproto.MaxClientHeader], msg...)
		if err := c.WriteFrame(wsproto.OpText, b); err != nil {
			t.Fatal(err)
		}
		got, err := c.ReadMessage()
		if err != nil || len(got) != len(msg) {
			t.Fatalf("read %d bytes, %v", len(got), err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per message written and read", n)
	}
}

// The handshake request carries UserAgent first and Header; CR and LF in
// them cannot add a header.
func TestDialSendsUserAgentAndHeaders(t *testing.T) {
	got := make(chan http.Header, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
		http.Error(w, "seen", http.StatusTeapot)
	}))
	defer srv.Close()
	u, _ := url.Parse("ws" + strings.TrimPrefix(srv.URL, "http"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := wsproto.Dial(ctx, u, wsproto.DialOptions{
		UserAgent: "agent/1\r\nX-Injected: ua",
		Header:    http.Header{"Origin": {"http://o.test"}, "X-Value": {"v\r\nX-Injected: header"}},
	})
	var se *wsproto.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusTeapot {
		t.Fatalf("dial: %v, want the 418", err)
	}
	h := <-got
	if h.Get("User-Agent") != "agent/1X-Injected: ua" || h.Get("Origin") != "http://o.test" || h.Get("X-Value") != "vX-Injected: header" || h.Get("X-Injected") != "" {
		t.Fatalf("the server saw %v", h)
	}
}

// A 101 reply that breaks RFC 6455 fails the dial with
// ErrBadHandshakeReply.
func TestDialRefusesABadUpgradeReply(t *testing.T) {
	for _, tc := range []struct{ name, headers, want string }{
		{"wrong accept key", "Upgrade: websocket\r\nSec-WebSocket-Accept: nope\r\n", "Sec-WebSocket-Accept"},
		{"no Upgrade", "Sec-WebSocket-Accept: {accept}\r\n", "Upgrade"},
		{"an extension", "Upgrade: websocket\r\nSec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n", "extension"},
		{"a subprotocol", "Upgrade: websocket\r\nSec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: chat\r\n", "subprotocol"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			done := make(chan struct{})
			go func() {
				defer close(done)
				nc, err := ln.Accept()
				if err != nil {
					return
				}
				defer nc.Close()
				req, err := http.ReadRequest(bufio.NewReader(nc))
				if err != nil {
					return
				}
				accept := string(wsproto.AppendAcceptKey(nil, req.Header.Get("Sec-WebSocket-Key")))
				_, _ = io.WriteString(nc, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"+strings.ReplaceAll(tc.headers, "{accept}", accept)+"\r\n")
				_, _ = io.Copy(io.Discard, nc)
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := wsproto.Dial(ctx, &url.URL{Scheme: "ws", Host: ln.Addr().String(), Path: "/"}, wsproto.DialOptions{})
			if err == nil {
				_ = c.Close()
			}
			if !errors.Is(err, wsproto.ErrBadHandshakeReply) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want ErrBadHandshakeReply about %s", err, tc.want)
			}
			_ = ln.Close()
			<-done
		})
	}
}
