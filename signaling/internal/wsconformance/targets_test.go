package wsconformance

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/testkit/certstest"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/signaling"
)

// The servers the cases run against: the tracker (signaling.New) over
// ws:// and wss://, and the ws npm package's echo server.

// maxMessage is the message size limit of every server under test:
// larger than 65536, so the 64-bit length cases carry real messages, and
// small enough to probe its edge quickly.
const maxMessage = 256 << 10

// maxScrapeHashes lets a message of maxMessage bytes carry a hash about
// every bytesPerHash bytes.
const maxScrapeHashes = maxMessage/bytesPerHash + 1

// swarms is a Swarms that knows no peer: every scrape counts zeros, which
// is all the cases need to see that a scrape arrived.
type swarms struct{}

func (swarms) Announce(_ context.Context, _ *signaling.Announce, targets []signaling.Target) (bittorrent.Counts, []signaling.Target, error) {
	return bittorrent.Counts{}, targets, nil
}

func (swarms) Leave(context.Context, bittorrent.InfoHash, bittorrent.PeerID, signaling.ConnID) error {
	return nil
}

func (swarms) Scrape(_ context.Context, hashes []bittorrent.InfoHash, dst []bittorrent.Counts) ([]bittorrent.Counts, error) {
	return append(dst, make([]bittorrent.Counts, len(hashes))...), nil
}

// transport is how a tracker under test is served.
type transport int

const (
	plain         transport = iota // ws://, a plain listener: read by the pollers on Linux
	tlsPolled                      // wss:// through signaling.NewTLSListener: read by the pollers on Linux
	tlsGoroutines                  // wss:// through tls.NewListener: a reader goroutine per connection
)

// startTracker serves a tracker over tr until the test ends, and checks
// then that every connection the cases opened is gone.
func startTracker(t *testing.T, tr transport) *target {
	t.Helper()
	h, err := signaling.New(signaling.Config{
		Swarms:          swarms{},
		Logger:          zerolog.Nop(),
		MaxMessageSize:  maxMessage,
		MaxScrapeHashes: maxScrapeHashes,
		// No pings of the tracker's own: every frame a case reads is an
		// answer to what it sent.
		PingInterval: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	tg := &target{name: "tracker over ws://", impl: implTracker, maxMessage: maxMessage, maxHashes: maxScrapeHashes}
	var srv *httptest.Server
	switch tr {
	case tlsPolled:
		srv = httptest.NewUnstartedServer(h)
		cert, roots := testCertificate(t)
		srv.Listener = signaling.NewTLSListener(srv.Listener, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
		srv.Start()
		tg.name = "tracker over wss:// (pollers)"
		tg.tls = &tls.Config{RootCAs: roots}
	case tlsGoroutines:
		srv = httptest.NewTLSServer(h)
		tg.name = "tracker over wss:// (reader goroutines)"
		// The test server's client trusts its certificate.
		tg.tls = srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	default:
		srv = httptest.NewServer(h)
	}
	tg.addr = srv.Listener.Addr().String()
	t.Cleanup(func() {
		// The cases' clients are gone (their cleanups ran first), so the
		// tracker must have let every connection go by now.
		deadline := time.Now().Add(5 * time.Second)
		for h.Conns() > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := h.Conns(); n > 0 {
			t.Errorf("%d connections still open after every case ended", n)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		srv.Close()
	})
	return tg
}

// testCertificate returns a throw-away certificate for 127.0.0.1 and a
// pool that trusts it.
func testCertificate(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certstest.WriteSelfSigned(t, certFile, keyFile, "conformance.test")
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

// requireNodeVar, when "1", turns a missing node or missing npm packages
// into a failure instead of a skip. scripts/test.sh sets it, so CI never
// skips the cross-check silently.
const requireNodeVar = "SWARMBRIDGE_REQUIRE_NODE"

// nodeDir holds the pinned ws package (npm ci there installs it) and the
// echo server.
const nodeDir = "testdata/node"

// skipWithoutNode skips the test when node or the npm packages are
// missing, or fails it when requireNodeVar says they must be there.
func skipWithoutNode(t *testing.T) {
	t.Helper()
	var why string
	if _, err := exec.LookPath("node"); err != nil {
		why = "node is not installed"
	} else if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "ws", "package.json")); err != nil {
		why = "the ws npm package is not installed (run `npm ci --ignore-scripts` in " + nodeDir + ", as scripts/test.sh does)"
	}
	if why == "" {
		return
	}
	if os.Getenv(requireNodeVar) == "1" {
		t.Fatalf("%s, and %s=1 requires the Node cross-check", why, requireNodeVar)
	}
	t.Skipf("skipping the cross-check against ws: %s (set %s=1 to make this an error)", why, requireNodeVar)
}

// startNodeWS runs the ws package's echo server (testdata/node/echo.mjs)
// with the same message size and fragment limits as the tracker, until the
// test ends.
func startNodeWS(t *testing.T) *target {
	t.Helper()
	skipWithoutNode(t)
	cmd := exec.Command("node", "echo.mjs", fmt.Sprint(maxMessage), fmt.Sprint(maxFragments))
	cmd.Dir = nodeDir
	// The server exits when its standard input ends, so it cannot outlive
	// the test even when the test binary is killed.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting node: %v", err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		_ = stdin.Close()
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		// Wait only after the reads from stdout are done (os/exec).
		exited <- cmd.Wait()
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatalf("the ws echo server did not start in 30 s; stderr:\n%s", stderr.String())
	}
	port, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		t.Fatalf("the ws echo server said %q; stderr:\n%s", line, stderr.String())
	}
	return &target{name: "ws (Node)", impl: implNodeWS, addr: net.JoinHostPort("127.0.0.1", port),
		maxMessage: maxMessage, maxHashes: maxScrapeHashes}
}
