package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/certstest"
	"github.com/swarmbridge/swarmbridge/signaling/wsproto"
)

// The tracker terminating TLS itself (SWARMBRIDGE_TLS_CERT/_KEY): wss://
// connections are read by the relay's pollers once upgraded, while TLS
// handshakes stay in net/http's goroutine per connection, bounded by
// SWARMBRIDGE_HANDSHAKE_TIMEOUT.

// startTLSRun runs the tracker with a fresh certificate for 127.0.0.1 and
// returns it with a client configuration that trusts it.
func startTLSRun(t *testing.T, env ...string) (*running, *tls.Config) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certstest.WriteSelfSigned(t, certFile, keyFile, "tracker.test")
	pem, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	r := startRun(t, append([]string{"SWARMBRIDGE_TLS_CERT=" + certFile, "SWARMBRIDGE_TLS_KEY=" + keyFile}, env...)...)
	return r, &tls.Config{RootCAs: roots}
}

// dialWSS opens a wss:// connection to r with cfg.
func (r *running) dialWSS(t *testing.T, cfg *tls.Config) *wsproto.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := wsproto.Dial(ctx, &url.URL{Scheme: "wss", Host: r.ls.HTTP.Addr().String(), Path: "/announce"}, wsproto.DialOptions{TLSConfig: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// scrapeRoundTrip sends a scrape and returns how long its reply took.
func scrapeRoundTrip(t *testing.T, c *wsproto.Conn) time.Duration {
	t.Helper()
	msg := []byte(`{"action":"scrape","info_hash":"` + strings.Repeat(`\u0001`, 20) + `"}`)
	start := time.Now()
	_ = c.NetConn().SetDeadline(start.Add(10 * time.Second))
	if err := c.WriteFrame(wsproto.OpText, append(make([]byte, wsproto.MaxClientHeader), msg...)); err != nil {
		t.Fatal(err)
	}
	reply, err := c.ReadMessage()
	if err != nil || !strings.Contains(string(reply), `"action":"scrape"`) {
		t.Fatalf("scrape: %q %v", reply, err)
	}
	return time.Since(start)
}

// A client that opens TCP and sends nothing, and one that drips its
// ClientHello a byte at a time, hold no poller: meanwhile every wss://
// connection (enough to have one on each poller) is answered at once, and
// both are dropped after SWARMBRIDGE_HANDSHAKE_TIMEOUT.
func TestTLSHandshakesNeverHoldThePollers(t *testing.T) {
	const timeout = 2 * time.Second
	r, cfg := startTLSRun(t, "SWARMBRIDGE_HANDSHAKE_TIMEOUT="+timeout.String())
	var conns []*wsproto.Conn
	for range 2 * runtime.GOMAXPROCS(0) {
		c := r.dialWSS(t, cfg)
		scrapeRoundTrip(t, c)
		conns = append(conns, c)
	}

	silent, err := net.Dial("tcp", r.ls.HTTP.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	dripped := make(chan error, 1)
	opened := time.Now()
	go func() {
		tcp, err := net.Dial("tcp", r.ls.HTTP.Addr().String())
		if err != nil {
			dripped <- err
			return
		}
		defer tcp.Close()
		dc := cfg.Clone()
		dc.ServerName = "127.0.0.1"
		_ = tcp.SetDeadline(time.Now().Add(4 * timeout))
		dripped <- tls.Client(&dripConn{Conn: tcp, pause: 20 * time.Millisecond}, dc).Handshake()
	}()

	// While both hang in their handshakes, every connection is served.
	for time.Since(opened) < timeout-500*time.Millisecond {
		for i, c := range conns {
			// A poller held by a handshake would stall until the timeout.
			if d := scrapeRoundTrip(t, c); d > timeout/2 {
				t.Fatalf("connection %d waited %v for its reply while handshakes hung", i, d)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Then the tracker drops both.
	_ = silent.SetReadDeadline(time.Now().Add(4 * timeout))
	if n, err := silent.Read(make([]byte, 1)); n != 0 || (!errors.Is(err, io.EOF) && !isReset(err)) {
		t.Fatalf("the silent client: %d bytes, %v; want the connection closed", n, err)
	}
	if d := time.Since(opened); d > timeout+time.Second {
		t.Fatalf("the silent client was dropped after %v, want about %v", d, timeout)
	}
	if err := <-dripped; err == nil {
		t.Fatal("a ClientHello dripped over longer than the handshake timeout completed")
	}
}

func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && strings.Contains(ne.Err.Error(), "reset")
}

// dripConn writes a byte at a time, pausing after each.
type dripConn struct {
	net.Conn
	pause time.Duration
}

func (d *dripConn) Write(b []byte) (int, error) {
	for i := range b {
		if _, err := d.Conn.Write(b[i : i+1]); err != nil {
			return i, err
		}
		time.Sleep(d.pause)
	}
	return len(b), nil
}

// A client that keeps TLS sessions resumes one on its next connection,
// which is then served like any other.
func TestTLSSessionsResume(t *testing.T) {
	r, cfg := startTLSRun(t)
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	first := r.dialWSS(t, cfg)
	scrapeRoundTrip(t, first) // the session ticket came after the handshake
	if first.NetConn().(*tls.Conn).ConnectionState().DidResume {
		t.Fatal("the first connection resumed a session")
	}
	second := r.dialWSS(t, cfg)
	if !second.NetConn().(*tls.Conn).ConnectionState().DidResume {
		t.Fatal("the second connection did not resume the first one's session")
	}
	scrapeRoundTrip(t, second)
	scrapeRoundTrip(t, first)
}

// Idle wss:// connections cost no goroutine in the running tracker, and
// every one of them is answered afterwards.
func TestIdleWSSConnectionsCostNoGoroutine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pollers are Linux-only")
	}
	r, cfg := startTLSRun(t)
	scrapeRoundTrip(t, r.dialWSS(t, cfg)) // starts the pollers
	time.Sleep(100 * time.Millisecond)
	before := runtime.NumGoroutine()
	const n = 40
	var mu sync.Mutex
	var conns []*wsproto.Conn
	for range n {
		c := r.dialWSS(t, cfg)
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine()-before >= 5 {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines more after %d idle wss:// connections", runtime.NumGoroutine()-before, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i, c := range conns {
		if d := scrapeRoundTrip(t, c); d > 5*time.Second {
			t.Fatalf("connection %s: %v", strconv.Itoa(i), d)
		}
	}
}
