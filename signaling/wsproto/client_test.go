package wsproto_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
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
	if _, err := c.ReadMessage(); !errors.Is(err, wsproto.ErrClosed) {
		t.Fatalf("after the server's close: %v, want ErrClosed", err)
	}
}

func TestDialFailsClearly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u := echoServer(t)
	// No Origin: the server refuses with 403.
	if _, err := wsproto.Dial(ctx, u, wsproto.DialOptions{}); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("refused upgrade: %v, want HTTP 403", err)
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
