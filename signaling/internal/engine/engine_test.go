package engine_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/swarmbridge/swarmbridge/internal/testkit/certstest"
	"github.com/swarmbridge/swarmbridge/signaling/internal/engine"
	"github.com/swarmbridge/swarmbridge/signaling/wsproto"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The engine is tested through its seam, the way the relay uses it: a
// Session per connection, real sockets on 127.0.0.1, and wsproto's client.

// session records what the engine tells it and, unless mute, echoes every
// message back through Enqueue and Flush.
type session struct {
	c    *engine.Conn
	mute bool

	mu       sync.Mutex
	msgs     []string
	finished bool
	closed   chan engine.CloseReason
	order    []string // "finish", "closed"
}

func (s *session) Message(p []byte) {
	s.mu.Lock()
	s.msgs = append(s.msgs, string(p))
	s.mu.Unlock()
	if s.mute {
		return
	}
	f := engine.NewFrame()
	*f = append(*f, p...)
	if s.c.Enqueue(f) == engine.QueuedIdle {
		s.c.Flush()
	}
}

func (s *session) Finish() {
	s.mu.Lock()
	s.finished = true
	s.order = append(s.order, "finish")
	s.mu.Unlock()
}

func (s *session) Closed(r engine.CloseReason) {
	s.mu.Lock()
	s.order = append(s.order, "closed")
	s.mu.Unlock()
	s.closed <- r
}

// server is an engine behind an HTTP server; sessions come out of its
// channel as connections are registered.
type server struct {
	e        *engine.Engine
	u        *url.URL
	tls      *tls.Config // for wss:// clients: trusts the server's certificate
	sessions chan *session
}

// path is how a test server's connections are served.
type path int

const (
	pollers               path = iota // ws://, read by the pollers (reader goroutines where there is no epoll)
	readerGoroutines                  // ws://, a reader goroutine per connection
	tlsPollers                        // wss:// through NewTLSListener, read by the pollers
	tlsListenerGoroutines             // wss:// through NewTLSListener, a reader goroutine each (as where there is no epoll)
	tlsGoroutines                     // wss:// through tls.NewListener: crypto/tls on a plain TCP connection, a reader goroutine each
)

var paths = []struct {
	name string
	p    path
}{
	{"pollers", pollers}, {"reader-goroutines", readerGoroutines}, {"tls-pollers", tlsPollers},
	{"tls-listener-reader-goroutines", tlsListenerGoroutines}, {"tls-reader-goroutines", tlsGoroutines},
}

// everyPath runs test on every path.
func everyPath(t *testing.T, test func(t *testing.T, p path)) {
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) { test(t, p.p) })
	}
}

// newServer serves an engine with cfg on path p, with sessions that echo
// every message unless mute.
func newServer(t *testing.T, cfg engine.Config, p path, mute bool) *server {
	t.Helper()
	s := newEngine(t, cfg, p == readerGoroutines || p == tlsListenerGoroutines)
	srv := httptest.NewUnstartedServer(s.handler(mute))
	scheme := "ws"
	switch p {
	case tlsPollers, tlsListenerGoroutines:
		cert, roots := testCertificate(t)
		srv.Listener = engine.NewTLSListener(srv.Listener, &tls.Config{Certificates: []tls.Certificate{cert}})
		srv.Start()
		s.tls, scheme = &tls.Config{RootCAs: roots}, "wss"
	case tlsGoroutines:
		srv.StartTLS()
		s.tls, scheme = srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone(), "wss"
	default:
		srv.Start()
	}
	s.serve(t, srv, scheme)
	return s
}

// testCertificate returns a throw-away certificate for 127.0.0.1 and a
// pool that trusts it.
func testCertificate(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certstest.WriteSelfSigned(t, certFile, keyFile, "engine.test")
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return cert, roots
}

// newEngine returns a server whose engine has cfg, defaults filled in.
func newEngine(t *testing.T, cfg engine.Config, readerGoroutines bool) *server {
	t.Helper()
	cfg.Logger = zerolog.Nop()
	if cfg.MaxMessageSize == 0 {
		cfg.MaxMessageSize = 64 << 10
	}
	if cfg.SendQueueLen == 0 {
		cfg.SendQueueLen = 256
	}
	if cfg.SendQueueBytes == 0 {
		cfg.SendQueueBytes = 4 << 20
	}
	if cfg.PongTimeout == 0 {
		cfg.PongTimeout = time.Minute
	}
	s := &server{e: engine.New(cfg), sessions: make(chan *session, 16)}
	if readerGoroutines {
		s.e.ServeWithReaderGoroutines()
	}
	return s
}

// handler upgrades requests to connections of s's engine, served by
// sessions that echo every message unless mute.
func (s *server) handler(mute bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.e.BeginUpgrade() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		if status, reason := engine.CheckHandshake(w.Header(), r); status != 0 {
			s.e.EndUpgrade()
			http.Error(w, reason, status)
			return
		}
		nc, pipelined, err := engine.Upgrade(w, r)
		if err != nil {
			s.e.EndUpgrade()
			return
		}
		c := s.e.NewConn(nc)
		ss := &session{c: c, mute: mute, closed: make(chan engine.CloseReason, 1)}
		if !s.e.Register(c, ss) {
			s.e.EndUpgrade()
			return
		}
		s.sessions <- ss
		c.Start(pipelined)
	})
}

// serve records srv's URL (with scheme) and shuts the engine and srv down
// when the test ends.
func (s *server) serve(t *testing.T, srv *httptest.Server, scheme string) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.e.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		srv.Close()
	})
	u, err := url.Parse(scheme + "://" + srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s.u = u
}

func (s *server) dial(t *testing.T) (*wsproto.Conn, *session) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := wsproto.Dial(ctx, s.u, wsproto.DialOptions{ReadBufferSize: 64 << 10, TLSConfig: s.tls})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.NetConn().SetDeadline(time.Now().Add(10 * time.Second))
	select {
	case ss := <-s.sessions:
		return c, ss
	case <-time.After(5 * time.Second):
		t.Fatal("no session registered")
		return nil, nil
	}
}

func send(t *testing.T, c *wsproto.Conn, msg string) {
	t.Helper()
	if err := c.WriteFrame(wsproto.OpText, append(make([]byte, wsproto.MaxClientHeader), msg...)); err != nil {
		t.Fatal(err)
	}
}

func closedWith(t *testing.T, ss *session) engine.CloseReason {
	t.Helper()
	select {
	case r := <-ss.closed:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the session was never told the connection closed")
		return 0
	}
}

// Messages reach the Session in order, frames it queues reach the client
// in order, and at the end Finish comes before Closed, once each.
func TestSessionSeesMessagesInOrderThenFinishThenClosed(t *testing.T) {
	everyPath(t, func(t *testing.T, p path) {
		srv := newServer(t, engine.Config{}, p, false)
		c, ss := srv.dial(t)
		for i := range 100 {
			send(t, c, "m"+strconv.Itoa(i))
		}
		for i := range 100 {
			got, err := c.ReadMessage()
			if err != nil || string(got) != "m"+strconv.Itoa(i) {
				t.Fatalf("echo %d: %q %v", i, got, err)
			}
		}
		if err := c.WriteControl(wsproto.OpClose, []byte{0x03, 0xE8}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ReadMessage(); !errors.Is(err, wsproto.ErrClosed) {
			t.Fatalf("the engine did not echo the close: %v", err)
		}
		if r := closedWith(t, ss); r != engine.CloseClient {
			t.Fatalf("closed for %v, want client", r)
		}
		ss.mu.Lock()
		defer ss.mu.Unlock()
		if len(ss.msgs) != 100 || strings.Join(ss.order, ",") != "finish,closed" {
			t.Fatalf("%d messages, calls %v", len(ss.msgs), ss.order)
		}
		// After the end, frames are refused and nothing blocks.
		if out := ss.c.Enqueue(engine.NewFrame()); out != engine.DropGone {
			t.Fatalf("enqueue after the end: %v, want DropGone", out)
		}
		ss.c.Flush()
		ss.c.Close(engine.CloseAbuse)
	})
}

// A client that does not read fills its send queue: the frame that does
// not fit is refused with DropFull, the connection closes as a slow
// consumer, and later frames are refused with DropGone. Nothing blocks.
func TestAFullSendQueueDropsTheFrameAndClosesTheConnection(t *testing.T) {
	everyPath(t, func(t *testing.T, p path) {
		srv := newServer(t, engine.Config{SendQueueLen: 8}, p, true)
		c, ss := srv.dial(t)
		big := strings.Repeat("x", 60<<10)
		full := false
		for i := 0; i < 100_000 && !full; i++ {
			f := engine.NewFrame()
			*f = append(*f, big...)
			switch ss.c.Enqueue(f) {
			case engine.QueuedIdle:
				ss.c.Flush()
			case engine.DropFull:
				full = true
			case engine.DropGone:
				t.Fatalf("frame %d: DropGone before the queue was full", i)
			}
		}
		if !full {
			t.Fatal("the queue never filled")
		}
		if out := ss.c.Enqueue(engine.NewFrame()); out != engine.DropGone {
			t.Fatalf("enqueue after the slow consumer was dropped: %v, want DropGone", out)
		}
		_ = c.Close() // rather than make the engine wait CloseWait for a close frame
		if r := closedWith(t, ss); r != engine.CloseSlowConsumer {
			t.Fatalf("closed for %v, want slow_consumer", r)
		}
	})
}

// Messages over MaxMessageSize close the connection with 1009 before the
// Session sees them.
func TestOversizedMessagesNeverReachTheSession(t *testing.T) {
	srv := newServer(t, engine.Config{MaxMessageSize: 1024}, pollers, false)
	c, ss := srv.dial(t)
	send(t, c, strings.Repeat("y", 1025))
	if _, err := c.ReadMessage(); !errors.Is(err, wsproto.ErrClosed) {
		t.Fatalf("after an oversized message: %v, want the server's close", err)
	}
	if r := closedWith(t, ss); r != engine.CloseMessageTooBig {
		t.Fatalf("closed for %v, want message_too_big", r)
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.msgs) != 0 {
		t.Fatalf("the session saw %d messages", len(ss.msgs))
	}
}
