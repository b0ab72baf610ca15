// Package dbtest gives tests fresh databases: a SQLite file in a temporary
// directory, and a PostgreSQL database created for the test and dropped
// after it.
//
// PostgreSQL comes from SWARMBRIDGE_TEST_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable), a
// connection allowed to create databases. When it cannot be reached the
// PostgreSQL half of a test is skipped with the reason, unless
// SWARMBRIDGE_REQUIRE_POSTGRES=1 (as in scripts/test.sh and CI), which
// makes it a failure.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultPostgresURL is the server the PostgreSQL tests use unless
// SWARMBRIDGE_TEST_POSTGRES_URL says otherwise.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Each runs fn as two subtests, "sqlite" and "postgres", each with the
// URL of a fresh, empty database.
func Each(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite returns the URL of a new SQLite database file in a temporary
// directory.
func SQLite(t testing.TB) string {
	t.Helper()
	return "sqlite://" + filepath.Join(t.TempDir(), "swarmbridge.db")
}

// serverURL is the PostgreSQL server the tests create databases on.
func serverURL() string {
	if u := os.Getenv("SWARMBRIDGE_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// Postgres creates an empty database for the test, drops it when the test
// ends (closing whatever connections are left), and returns its URL.
func Postgres(t testing.TB) string {
	t.Helper()
	server := serverURL()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		if os.Getenv("SWARMBRIDGE_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL unreachable and SWARMBRIDGE_REQUIRE_POSTGRES=1: %v", err)
		}
		t.Skipf("skipping the PostgreSQL half: server unreachable (%v); start PostgreSQL on 127.0.0.1:5432 or set SWARMBRIDGE_TEST_POSTGRES_URL; SWARMBRIDGE_REQUIRE_POSTGRES=1 makes this a failure", err)
	}
	defer conn.Close(context.Background())

	var b [6]byte
	rand.Read(b[:])
	name := "swarmbridge_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() { Drop(t, name) })

	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("SWARMBRIDGE_TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Drop removes a test database, disconnecting its sessions.
func Drop(t testing.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL())
	if err != nil {
		t.Errorf("dropping test database %s: %v", name, err)
		return
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Errorf("dropping test database %s: %v", name, err)
	}
}

// Exec runs SQL on the database at a postgres:// URL, for tests that reach
// behind the code under test (terminating a listener's connection).
func Exec(t testing.TB, dbURL, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
