// Package servertest runs the whole tracker in-process for tests: the TCP
// port through httptest on 127.0.0.1:0 with the production http.Server
// settings, and UDP on a real loopback socket.
package servertest

import (
	"context"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/db"
	"github.com/swarmbridge/swarmbridge/internal/server"
)

// Tracker is a running in-process tracker.
type Tracker struct {
	Server *server.Server
	// HTTP serves WebSocket upgrades, announces, scrapes and the rest of
	// the TCP port; HTTP.URL is its http:// (or https://) base URL.
	HTTP *httptest.Server
	// UDP is the address of the UDP tracker.
	UDP *net.UDPAddr
}

// openDatabase opens SWARMBRIDGE_DATABASE_URL, when the configuration
// has one, until the test ends. The tracker is not Run here, so nothing
// watches the database: changes made through the management API are in
// force at once all the same (the API applies them), others are not.
func openDatabase(t testing.TB, cfg config.Config) *server.Database {
	t.Helper()
	if cfg.DatabaseURL == "" {
		return nil
	}
	d, err := db.Open(t.Context(), cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	database, err := server.LoadDatabase(t.Context(), d, nil)
	if err != nil {
		t.Fatal(err)
	}
	return database
}

// Start loads the configuration from env (SWARMBRIDGE_* variables as an
// operator sets them), lets mod adjust what the variables cannot express
// in a test (sub-second timeouts), and serves it until the test ends.
// With SWARMBRIDGE_STORE=redis it is a node of the cluster on that Redis
// (several Starts with the same Redis and key prefix are several nodes).
func Start(t testing.TB, env []string, mod func(*config.Config)) *Tracker {
	t.Helper()
	return start(t, env, mod, false)
}

// StartTLS is Start with TLS on the TCP port (https:// and wss://), under
// httptest's certificate for 127.0.0.1 (HTTP.Certificate()).
func StartTLS(t testing.TB, env []string, mod func(*config.Config)) *Tracker {
	t.Helper()
	return start(t, env, mod, true)
}

func start(t testing.TB, env []string, mod func(*config.Config), withTLS bool) *Tracker {
	t.Helper()
	cfg, err := config.Load(env)
	if err != nil {
		t.Fatal(err)
	}
	if mod != nil {
		mod(&cfg)
	}
	database := openDatabase(t, cfg)
	// The memory store, or with SWARMBRIDGE_STORE=redis the Redis store
	// and a node of the cluster on it, whose heartbeat, inbox and
	// publisher run until the test ends (what Run would run).
	b, err := server.OpenBackend(t.Context(), cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Config: cfg, Logger: zerolog.Nop(), Store: b.Store, Cluster: b.Cluster, Database: database})
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.Config = srv.HTTPServer()
	if withTLS {
		// Tests refuse the certificate on purpose; keep the log quiet.
		ts.Config.ErrorLog = log.New(io.Discard, "", 0)
		ts.StartTLS()
	} else {
		ts.Start()
	}
	uc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		ts.Close()
		b.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	udpDone := make(chan struct{})
	go func() { defer close(udpDone); _ = srv.ServeUDP(ctx, uc) }()
	clusterDone := make(chan struct{})
	go func() {
		defer close(clusterDone)
		if b.Cluster != nil {
			_ = b.Cluster.Run(ctx) // always nil
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-udpDone
		<-clusterDone
		_ = uc.Close()
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = srv.Shutdown(sctx)
		ts.Close()
		b.Close()
	})
	return &Tracker{Server: srv, HTTP: ts, UDP: uc.LocalAddr().(*net.UDPAddr)}
}

// WSURL is the tracker's ws:// (or wss://) URL.
func (tr *Tracker) WSURL() string { return "ws" + strings.TrimPrefix(tr.HTTP.URL, "http") }
