package trackerclient_test

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
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
	HTTPURL string // http://127.0.0.1:port
	UDPAddr string // 127.0.0.1:port
	stop    func()
}

// startSwarmbridge serves a tracker configured by SWARMBRIDGE_* env
// entries on loopback until Stop.
func startSwarmbridge(env ...string) (*swarmbridge, error) {
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
	ts.Start()
	ctx, cancel := context.WithCancel(context.Background())
	udpDone := make(chan struct{})
	go func() { defer close(udpDone); _ = srv.ServeUDP(ctx, uc) }()
	return &swarmbridge{
		HTTPURL: ts.URL,
		UDPAddr: uc.LocalAddr().String(),
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
