package server_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/logbuf"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/swarmbridge/swarmbridge/internal/admin"
	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/db"
	"github.com/swarmbridge/swarmbridge/internal/server"
	"github.com/swarmbridge/swarmbridge/internal/swarm/swarmtest"
)

// dbTracker is the tracker run as main runs it (Listen, Run) with a
// database and the management API on a listener of its own.
type dbTracker struct {
	base  string // http://host:port of the tracker's TCP port
	udp   *net.UDPAddr
	admin string // http://host:port of the API
	token string
	api   *admin.Client
	logs  *logbuf.Buffer
	db    *db.DB
	stop  func() error
}

// testToken is the bearer token of every test tracker's API.
const testToken = "0123456789abcdef-test-token-never-logged"

// tokenFile writes testToken to a file and returns its path.
func tokenFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "admin-token")
	if err := os.WriteFile(p, []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// startDBTracker runs a tracker on the database at dbURL with clock as
// the time of keys' expiries (nil: the real clock), plus env. It stops at
// the end of the test, leaving no goroutine behind; stop stops it earlier
// (a restart starts another on the same database).
func startDBTracker(t *testing.T, dbURL string, clock *swarmtest.Clock, env ...string) *dbTracker {
	t.Helper()
	leaks := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		goleak.VerifyNone(t, leaks)
	})
	cfg, err := config.Load(append([]string{
		"SWARMBRIDGE_HTTP_ADDR=127.0.0.1:0",
		"SWARMBRIDGE_UDP_ADDR=127.0.0.1:0",
		"SWARMBRIDGE_DATABASE_URL=" + dbURL,
		"SWARMBRIDGE_ADMIN_ADDR=127.0.0.1:0",
		"SWARMBRIDGE_ADMIN_TOKEN_FILE=" + tokenFile(t),
	}, env...))
	if err != nil {
		t.Fatal(err)
	}
	var now func() time.Time
	opts := []db.Option{}
	if clock != nil {
		now = clock.Now
		opts = append(opts, db.WithClock(clock.Now))
	}
	logs := &logbuf.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	d, err := db.Open(ctx, dbURL, append(opts, db.WithLogger(zerolog.New(logs)))...)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	database, err := server.LoadDatabase(ctx, d, now)
	if err != nil {
		cancel()
		d.Close()
		t.Fatal(err)
	}
	// The store the configuration names: memory unless env says redis.
	b, err := server.OpenBackend(ctx, cfg, zerolog.New(logs))
	if err != nil {
		cancel()
		d.Close()
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Config: cfg, Logger: zerolog.New(logs), Store: b.Store, Cluster: b.Cluster, Database: database})
	if err != nil {
		cancel()
		b.Close()
		d.Close()
		t.Fatal(err)
	}
	ls, err := server.Listen(ctx, cfg)
	if err != nil {
		cancel()
		b.Close()
		d.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ls, nil) }()
	stopped := false
	var runErr error
	stop := func() error {
		if stopped {
			return runErr
		}
		stopped = true
		cancel()
		select {
		case runErr = <-done:
		case <-time.After(20 * time.Second):
			runErr = errors.New("Run did not return within 20s")
			<-done
		}
		b.Close()
		d.Close()
		return runErr
	}
	tr := &dbTracker{
		base:  "http://" + ls.HTTP.Addr().String(),
		udp:   ls.UDP.LocalAddr().(*net.UDPAddr),
		admin: "http://" + ls.Admin.Addr().String(),
		token: testToken,
		logs:  logs,
		db:    d,
		stop:  stop,
	}
	tr.api = &admin.Client{BaseURL: tr.admin, Token: []byte(testToken)}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
		if t.Failed() {
			t.Logf("tracker logs:\n%s", logs.String())
		}
	})
	return tr
}

func (tr *dbTracker) wsURL(path string) string { return "ws" + tr.base[len("http"):] + path }
