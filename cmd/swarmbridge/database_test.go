package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// `swarmbridge migrate` and `swarmbridge admin` reach their commands with
// the environment run was given (e2e/ops runs both against the built
// binary on SQLite and PostgreSQL).
func TestDatabaseSubcommands(t *testing.T) {
	var out, errOut bytes.Buffer
	dbURL := "SWARMBRIDGE_DATABASE_URL=sqlite://" + filepath.Join(t.TempDir(), "swarmbridge.db")
	if code := run([]string{"migrate"}, []string{dbURL}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "schema version 2 (migrated from 0)") {
		t.Fatalf("migrate: exit %d, %q %q", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := run([]string{"migrate", "now"}, []string{dbURL}, &out, &errOut); code != 2 {
		t.Fatalf("migrate with an argument: exit %d", code)
	}
	errOut.Reset()
	if code := run([]string{"admin", "keys", "ls"}, nil, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "SWARMBRIDGE_ADMIN_URL") {
		t.Fatalf("admin without an address: exit %d, %q", code, errOut.String())
	}
	errOut.Reset()
	env := []string{"SWARMBRIDGE_ADMIN_ADDR=127.0.0.1:1", "SWARMBRIDGE_ADMIN_TOKEN_FILE=" + filepath.Join(t.TempDir(), "missing")}
	if code := run([]string{"admin", "keys", "ls"}, env, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "admin token file") {
		t.Fatalf("admin with the environment's token file missing: exit %d, %q", code, errOut.String())
	}
	out.Reset()
	if code := run([]string{"-h"}, nil, &out, &errOut); code != 0 || !strings.Contains(out.String(), "swarmbridge migrate") || !strings.Contains(out.String(), "swarmbridge admin") {
		t.Fatalf("-h does not mention migrate and admin:\n%s", out.String())
	}
}

// A file-based access list together with a database stops start-up with
// a message that says how to move the file into the database.
func TestFileAndDatabaseRefused(t *testing.T) {
	var out, errOut bytes.Buffer
	env := []string{"SWARMBRIDGE_DATABASE_URL=sqlite:///var/lib/swarmbridge/swarmbridge.db", "SWARMBRIDGE_KEYS_FILE=/etc/swarmbridge/keys.txt"}
	if code := run(nil, env, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "swarmbridge admin import keys /etc/swarmbridge/keys.txt") {
		t.Fatalf("exit %d, %q", code, errOut.String())
	}
}
