package ops_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" for database/sql
	_ "modernc.org/sqlite"             // "sqlite" for database/sql

	"github.com/swarmbridge/swarmbridge/internal/testkit/dbtest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
)

// The operator's path through the README's "Private tracker with a
// database", on the built binary: a token file, the tracker started with
// a database, keys made with `swarmbridge admin`, announce URLs that work
// at once and stop working when deleted or expired, downloads that
// outlive a restart, `swarmbridge migrate`, and two nodes on one
// PostgreSQL. Every test runs on SQLite and on PostgreSQL.

// opsToken writes a token file as the README says (openssl rand -hex 32).
func opsToken(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "admin-token")
	writeFile(t, p, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n")
	return p
}

// startPrivate runs the binary on dbURL as a private tracker with the
// management API on a port of its own.
func startPrivate(t *testing.T, dbURL, token string, env ...string) *trackerproc.Tracker {
	t.Helper()
	return trackerproc.Start(t, trackerBin, append([]string{
		"SWARMBRIDGE_DATABASE_URL=" + dbURL,
		"SWARMBRIDGE_PRIVATE=true",
		"SWARMBRIDGE_ADMIN_ADDR=127.0.0.1:0",
		"SWARMBRIDGE_ADMIN_TOKEN_FILE=" + token,
		"SWARMBRIDGE_WS_PING_INTERVAL=0",
	}, env...)...)
}

// swarmbridge runs the binary with args and the SWARMBRIDGE_* variables
// of env only, and returns its exit code, stdout and stderr.
func swarmbridge(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, trackerBin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWARMBRIDGE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running swarmbridge %v: %v", args, err)
	}
	return code, out.String(), errOut.String()
}

// adminCLI runs `swarmbridge admin args...` against tr's API, as an
// operator on the same machine does, and fails the test unless it exits 0.
func adminCLI(t *testing.T, tr *trackerproc.Tracker, token string, args ...string) string {
	t.Helper()
	env := []string{"SWARMBRIDGE_ADMIN_URL=http://" + tr.AdminAddr, "SWARMBRIDGE_ADMIN_TOKEN_FILE=" + token}
	code, out, errOut := swarmbridge(t, env, append([]string{"admin"}, args...)...)
	if code != 0 {
		t.Fatalf("swarmbridge admin %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// announceReply announces a seeder of ih over HTTP at path.
func announceReply(t *testing.T, tr *trackerproc.Tracker, path, ih string) string {
	t.Helper()
	return httpAnnounceBody(t, tr, path, ih)
}

// waitAnnounce announces until the reply contains want, for up to 10 s.
func waitAnnounce(t *testing.T, tr *trackerproc.Tracker, path, ih, want string) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		got := announceReply(t, tr, path, ih)
		if strings.Contains(got, want) {
			return time.Since(start)
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("announce to %s: %q after 10s, want %q", path, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPrivateTrackerWithADatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbURL string) {
		token := opsToken(t)
		tr := startPrivate(t, dbURL, token)
		ih := strings.Repeat("\x21", 20)

		key := strings.TrimSpace(adminCLI(t, tr, token, "keys", "add", "--ttl", "30d", "--note", "alice"))
		if len(key) < 16 || strings.ContainsAny(key, " \n") {
			t.Fatalf("keys add printed %q, want the key alone", key)
		}
		ls := adminCLI(t, tr, token, "keys", "ls")
		if !strings.Contains(ls, key) || !strings.Contains(ls, "alice") || strings.Contains(ls, "never") {
			t.Fatalf("keys ls does not show the 30-day key:\n%s", ls)
		}
		// At once: the API applied the key before it answered.
		if got := announceReply(t, tr, "/"+key+"/announce", ih); !strings.Contains(got, "8:interval") {
			t.Fatalf("announce with the new key: %q", got)
		}
		if got := announceReply(t, tr, "/not-a-key-000000/announce", ih); !strings.Contains(got, "unknown key") {
			t.Fatalf("announce with a made-up key: %q", got)
		}

		adminCLI(t, tr, token, "keys", "rm", key)
		if got := announceReply(t, tr, "/"+key+"/announce", ih); !strings.Contains(got, "unknown key") {
			t.Fatalf("announce after keys rm: %q", got)
		}

		// A key for three seconds works, then expires on its own.
		short := strings.TrimSpace(adminCLI(t, tr, token, "keys", "add", "--ttl", "3s"))
		if got := announceReply(t, tr, "/"+short+"/announce", ih); !strings.Contains(got, "8:interval") {
			t.Fatalf("announce with the short key: %q", got)
		}
		waitAnnounce(t, tr, "/"+short+"/announce", ih, "unknown key")
		if ls := adminCLI(t, tr, token, "keys", "ls"); !strings.Contains(ls, short) || !strings.Contains(ls, "(expired)") {
			t.Fatalf("keys ls does not show the expired key:\n%s", ls)
		}

		// The reload re-reads the keys: the deleted and the expired one are gone.
		if out := adminCLI(t, tr, token, "reload"); !strings.Contains(out, "private: 0 keys") {
			t.Fatalf("admin reload: %q", out)
		}
		if logs := tr.Logs(); strings.Contains(logs, "9f86d081884c7d659a2f") {
			t.Error("the admin token appears in the tracker's logs")
		}
	})
}

// udpScrapeDownloaded asks the UDP tracker at addr for ih's downloads.
func udpScrapeDownloaded(t *testing.T, addr, ih string) uint32 {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rt := func(pkt []byte) []byte {
		t.Helper()
		if _, err := c.Write(pkt); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 1500)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		return buf[:n]
	}
	conn := binary.BigEndian.AppendUint64(nil, 0x41727101980)
	conn = binary.BigEndian.AppendUint64(conn, 7) // action connect, transaction 7
	r := rt(conn)
	if len(r) != 16 {
		t.Fatalf("connect reply %x", r)
	}
	scrape := append(append([]byte(nil), r[8:16]...), 0, 0, 0, 2, 0, 0, 0, 8)
	r = rt(append(scrape, ih...))
	if len(r) != 20 {
		t.Fatalf("scrape reply %x", r)
	}
	return binary.BigEndian.Uint32(r[12:])
}

func TestDownloadedSurvivesARestartOfTheBinary(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dbURL string) {
		ih := strings.Repeat("\x22", 20)
		tr := trackerproc.Start(t, trackerBin, "SWARMBRIDGE_DATABASE_URL="+dbURL)
		// Native peers are told apart by address and port.
		for _, peer := range []string{"a", "b"} {
			port := map[string]string{"a": "6881", "b": "6882"}[peer]
			u := "http://" + tr.HTTPAddr + "/announce?info_hash=" + url.QueryEscape(ih) + "&peer_id=" + strings.Repeat(peer, 20) + "&port=" + port + "&left=0&event=completed"
			if code, body := get(t, u); code != 200 || !strings.Contains(body, "8:interval") {
				t.Fatalf("completed announce: %d %q", code, body)
			}
		}
		if n := udpScrapeDownloaded(t, tr.UDPAddr, ih); n != 2 {
			t.Fatalf("before the restart: %d downloads", n)
		}
		if err := tr.Stop(15 * time.Second); err != nil {
			t.Fatal(err)
		}
		tr = trackerproc.Start(t, trackerBin, "SWARMBRIDGE_DATABASE_URL="+dbURL)
		if n := udpScrapeDownloaded(t, tr.UDPAddr, ih); n != 2 {
			t.Fatalf("after the restart, UDP scrape: %d downloads, want 2", n)
		}
		if _, body := get(t, "http://"+tr.HTTPAddr+"/scrape?info_hash="+url.QueryEscape(ih)); !strings.Contains(body, "10:downloadedi2e") {
			t.Fatalf("after the restart, HTTP scrape: %q", body)
		}
	})
}

// sqlDriver opens a database/sql handle on a test database URL.
func sqlDriver(t *testing.T, dbURL string) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", dbURL
	if path, ok := strings.CutPrefix(dbURL, "sqlite://"); ok {
		driver, dsn = "sqlite", path
	}
	d, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// firstSchema builds the database as release 1 of the schema left it,
// with one key in it.
func firstSchema(t *testing.T, dbURL, key string) {
	t.Helper()
	dialect := "postgres"
	if strings.HasPrefix(dbURL, "sqlite:") {
		dialect = "sqlite"
	}
	v1, err := os.ReadFile(filepath.Join("..", "..", "internal", "db", "migrations", dialect, "0001_access.sql"))
	if err != nil {
		t.Fatal(err)
	}
	d := sqlDriver(t, dbURL)
	for _, q := range []string{
		string(v1),
		`CREATE TABLE swarmbridge_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`,
		`INSERT INTO swarmbridge_migrations VALUES (1, 'access', 0)`,
		`INSERT INTO access_keys (key, note, created_at) VALUES ('` + key + `', 'from v1', 0)`,
	} {
		if _, err := d.Exec(q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
}

func TestMigrateSubcommand(t *testing.T) {
	t.Run("fresh", func(t *testing.T) { dbtest.Each(t, migrateFresh) })
	t.Run("from version 1", func(t *testing.T) { dbtest.Each(t, migrateFromV1) })
}

func migrateFresh(t *testing.T, dbURL string) {
	env := []string{"SWARMBRIDGE_DATABASE_URL=" + dbURL}
	code, out, errOut := swarmbridge(t, env, "migrate")
	if code != 0 || !strings.Contains(out, "schema version 2 (migrated from 0)") {
		t.Fatalf("migrate on a fresh database: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = swarmbridge(t, env, "migrate")
	if code != 0 || !strings.Contains(out, "schema version 2, already current") {
		t.Fatalf("migrate again: exit %d %s", code, out)
	}
	// A schema newer than the binary: migrate and the tracker refuse it.
	if _, err := sqlDriver(t, dbURL).Exec(`INSERT INTO swarmbridge_migrations VALUES (99, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = swarmbridge(t, env, "migrate")
	if code != 1 || !strings.Contains(errOut, "schema version 99 is newer than this binary knows (2)") {
		t.Fatalf("migrate on a newer schema: exit %d %s", code, errOut)
	}
	code, _, errOut = swarmbridge(t, append(env, "SWARMBRIDGE_HTTP_ADDR=127.0.0.1:0", "SWARMBRIDGE_UDP_ADDR="))
	if code != 1 || !strings.Contains(errOut, "newer than this binary knows") {
		t.Fatalf("the tracker on a newer schema: exit %d %s", code, errOut)
	}
	if code, _, errOut := swarmbridge(t, nil, "migrate"); code != 2 || !strings.Contains(errOut, "SWARMBRIDGE_DATABASE_URL is not set") {
		t.Fatalf("migrate without a database: exit %d %s", code, errOut)
	}
}

func migrateFromV1(t *testing.T, dbURL string) {
	const key = "kept-since-v1-0123456789"
	firstSchema(t, dbURL, key)
	code, out, errOut := swarmbridge(t, []string{"SWARMBRIDGE_DATABASE_URL=" + dbURL}, "migrate")
	if code != 0 || !strings.Contains(out, "schema version 2 (migrated from 1)") {
		t.Fatalf("migrate from version 1: exit %d\n%s%s", code, out, errOut)
	}
	tr := startPrivate(t, dbURL, opsToken(t))
	if got := announceReply(t, tr, "/"+key+"/announce", strings.Repeat("\x23", 20)); !strings.Contains(got, "8:interval") {
		t.Fatalf("the key stored under version 1: %q", got)
	}
}

// Two nodes on one PostgreSQL: a key added through node A's API works on
// node B at once (LISTEN/NOTIFY), and one deleted on B stops working on A.
func TestTwoNodesShareOnePostgres(t *testing.T) {
	dbURL := dbtest.Postgres(t)
	token := opsToken(t)
	a := startPrivate(t, dbURL, token)
	b := startPrivate(t, dbURL, token)
	ih := strings.Repeat("\x24", 20)
	key := strings.TrimSpace(adminCLI(t, a, token, "keys", "add", "--note", "node A"))
	// waitAnnounce gives up after 10 s, before the 15 s version poll, so
	// passing shows the change arrived by notification.
	took := waitAnnounce(t, b, "/"+key+"/announce", ih, "8:interval")
	t.Logf("the key from node A worked on node B after %v", took)
	adminCLI(t, b, token, "keys", "rm", key)
	waitAnnounce(t, a, "/"+key+"/announce", ih, "unknown key")
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
