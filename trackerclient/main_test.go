package trackerclient_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/server"
	"github.com/swarmbridge/swarmbridge/internal/swarm/memory"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// swarmbridge is an in-process Swarmbridge for the examples and tests.
// (internal/testkit/servertest needs a testing.TB, which examples lack.)
type swarmbridge struct {
	HTTPURL string // http://127.0.0.1:port (https:// with TLS)
	WSURL   string // ws://127.0.0.1:port (wss:// with TLS)
	UDPAddr string // 127.0.0.1:port
	// Roots trusts the test certificate of a tracker started with TLS.
	Roots *x509.CertPool
	stop  func()
}

// startSwarmbridge serves a tracker configured by SWARMBRIDGE_* env
// entries on loopback until Stop.
func startSwarmbridge(env ...string) (*swarmbridge, error) { return start(false, env) }

// startSwarmbridgeTLS is startSwarmbridge with https:// and wss:// on the
// TCP port, under a certificate for 127.0.0.1 that Roots trusts.
func startSwarmbridgeTLS(env ...string) (*swarmbridge, error) { return start(true, env) }

func start(withTLS bool, env []string) (*swarmbridge, error) {
	cfg, err := config.Load(env)
	if err != nil {
		return nil, err
	}
	srv, err := server.New(server.Options{Config: cfg, Logger: zerolog.Nop(), Store: memory.New(memory.Options{})})
	if err != nil {
		return nil, err
	}
	uc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.Config = srv.HTTPServer()
	// Tests refuse the certificate on purpose; keep the server quiet.
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	var roots *x509.CertPool
	if withTLS {
		ts.StartTLS()
		roots = x509.NewCertPool()
		roots.AddCert(ts.Certificate())
	} else {
		ts.Start()
	}
	ctx, cancel := context.WithCancel(context.Background())
	udpDone := make(chan struct{})
	go func() { defer close(udpDone); _ = srv.ServeUDP(ctx, uc) }()
	return &swarmbridge{
		HTTPURL: ts.URL,
		WSURL:   "ws" + strings.TrimPrefix(ts.URL, "http"),
		UDPAddr: uc.LocalAddr().String(),
		Roots:   roots,
		stop: func() {
			cancel()
			<-udpDone
			_ = uc.Close()
			sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer scancel()
			_ = srv.Shutdown(sctx)
			ts.Close()
		},
	}, nil
}

func (s *swarmbridge) Stop() { s.stop() }

// startTB starts one for a test and stops it when the test ends.
func startTB(t testing.TB, env ...string) *swarmbridge {
	t.Helper()
	s, err := startSwarmbridge(env...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// startTLSTB is startTB with TLS.
func startTLSTB(t testing.TB, env ...string) *swarmbridge {
	t.Helper()
	s, err := startSwarmbridgeTLS(env...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("example: %v", err))
	}
	return v
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
