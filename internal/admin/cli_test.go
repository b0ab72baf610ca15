package admin

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cliRun runs the command line against a's API with the token in a file
// named by the environment, and returns the exit status and output.
func (a *api) cliRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	tokenFile := filepath.Join(t.TempDir(), "admin.token")
	if err := os.WriteFile(tokenFile, []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SWARMBRIDGE_ADMIN_URL": a.srv.URL, "SWARMBRIDGE_ADMIN_TOKEN_FILE": tokenFile}
	var out, errw bytes.Buffer
	code = runCLI(context.Background(), args, func(k string) string { return env[k] }, &out, &errw)
	if strings.Contains(out.String()+errw.String(), testToken[6:20]) {
		t.Errorf("%v: the token shows in the output", args)
	}
	return code, out.String(), errw.String()
}

func TestCLIKeys(t *testing.T) {
	a := newAPI(t)
	code, out, errs := a.cliRun(t, "keys", "add", "--ttl", "30d", "--note", "alice")
	key := strings.TrimSpace(out)
	if code != 0 || len(key) != 32 {
		t.Fatalf("keys add: %d %q %q", code, out, errs)
	}
	k, err := a.db.Key(t.Context(), key)
	if err != nil || k.Note != "alice" || !k.ExpiresAt.Equal(epoch.Add(30*24*time.Hour)) {
		t.Fatalf("stored %+v, %v", k, err)
	}
	if code, out, _ := a.cliRun(t, "-json", "keys", "add", "-key", "bob-chosen-key-1"); code != 0 || !strings.Contains(out, `"key": "bob-chosen-key-1"`) {
		t.Fatalf("keys add -json: %d %q", code, out)
	}

	code, out, _ = a.cliRun(t, "keys", "ls")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "KEY") ||
		!strings.Contains(out, key) || !strings.Contains(out, "2030-06-05T07:08:09Z") || !strings.Contains(out, "never") {
		t.Fatalf("keys ls: %d\n%s", code, out)
	}
	if code, out, _ := a.cliRun(t, "keys", "get", key); code != 0 || !strings.Contains(out, "alice") {
		t.Fatalf("keys get: %d %q", code, out)
	}
	if code, _, _ := a.cliRun(t, "keys", "rm", key, "bob-chosen-key-1"); code != 0 {
		t.Fatalf("keys rm: %d", code)
	}
	code, _, errs = a.cliRun(t, "keys", "rm", key)
	if code != 1 || !strings.Contains(errs, "not found") || !strings.Contains(errs, "404") {
		t.Fatalf("keys rm of a deleted key: %d %q", code, errs)
	}
	// Paging: more keys than one page.
	var many []string
	for i := range MaxLimit + 20 {
		many = append(many, "paged-key-"+strings.Repeat("0", 5-len(itoa(i)))+itoa(i))
	}
	if _, err := a.db.ImportKeys(t.Context(), many, ""); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := a.cliRun(t, "-json", "keys", "ls"); code != 0 {
		t.Fatalf("keys ls: %d", code)
	} else {
		var l KeyList
		if err := json.Unmarshal([]byte(out), &l); err != nil || len(l.Keys) != MaxLimit+20 {
			t.Fatalf("keys ls -json: %d keys, %v", len(l.Keys), err)
		}
	}
}

func TestCLIInfoHashLists(t *testing.T) {
	a := newAPI(t) // the tracker's list is an allow-list
	if code, out, errs := a.cliRun(t, "allow", "add", "-note", "films", hashA, hashB); code != 0 || out != "2 added, 0 already listed\n" {
		t.Fatalf("allow add: %d %q %q", code, out, errs)
	}
	code, out, _ := a.cliRun(t, "allow", "ls")
	if code != 0 || !strings.Contains(out, hashA) || !strings.Contains(out, "films") {
		t.Fatalf("allow ls: %d %q", code, out)
	}
	// The same hash means the opposite on a deny-list: refused.
	code, _, errs := a.cliRun(t, "deny", "add", hashA)
	if code != 1 || !strings.Contains(errs, "allow-list, not a deny-list") {
		t.Fatalf("deny add on an allow-list: %d %q", code, errs)
	}
	if code, _, _ := a.cliRun(t, "allow", "rm", hashA); code != 0 {
		t.Fatalf("allow rm: %d", code)
	}
	if code, _, errs := a.cliRun(t, "allow", "add", "xyz"); code != 1 || !strings.Contains(errs, "40 hex digits") {
		t.Fatalf("bad hash: %d %q", code, errs)
	}
	list, err := a.db.InfoHashes(t.Context(), "", 0)
	if err != nil || len(list) != 1 {
		t.Fatalf("left %v, %v", list, err)
	}

	// A tracker that does not apply its list yet takes either, with a
	// note, so the list can be filled before it is switched on.
	off := newAPI(t, func(o *Options) { o.ListMode = "" })
	if code, _, errs := off.cliRun(t, "deny", "add", hashA); code != 0 || !strings.Contains(errs, "mode off") {
		t.Fatalf("deny add with the list off: %d %q", code, errs)
	}
}

func TestCLIImport(t *testing.T) {
	a := newAPI(t)
	dir := t.TempDir()
	keysFile := filepath.Join(dir, "keys.txt")
	os.WriteFile(keysFile, []byte("# users\nalice-0123456789\nbob_key.v2~x  # bob\n"), 0o600)
	code, out, errs := a.cliRun(t, "import", "keys", "-note", "keys.txt", keysFile)
	if code != 0 || out != "2 keys: 2 added, 0 already stored\n" {
		t.Fatalf("import keys: %d %q %q", code, out, errs)
	}
	if k, err := a.db.Key(t.Context(), "bob_key.v2~x"); err != nil || k.Note != "keys.txt" || !k.ExpiresAt.IsZero() {
		t.Fatalf("imported %+v, %v", k, err)
	}
	if code, out, _ := a.cliRun(t, "import", "keys", keysFile); code != 0 || out != "2 keys: 0 added, 2 already stored\n" {
		t.Fatalf("import again: %d %q", code, out)
	}

	// A list file bigger than one request.
	var b strings.Builder
	b.WriteString("# big list\n")
	for i := range MaxBatch + 5 {
		var h [20]byte
		h[0], h[1] = byte(i>>8), byte(i)
		b.WriteString(strings.ToUpper(hex.EncodeToString(h[:])) + "\n")
	}
	listFile := filepath.Join(dir, "allow.txt")
	os.WriteFile(listFile, []byte(b.String()), 0o600)
	if code, out, errs := a.cliRun(t, "import", "allow", listFile); code != 0 || out != "1005 info hashes: 1005 added, 0 already listed\n" {
		t.Fatalf("import allow: %d %q %q", code, out, errs)
	}

	// A bad line stops the import before anything is sent.
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("good-key-000001\nno\n"), 0o600)
	code, _, errs = a.cliRun(t, "import", "keys", bad)
	if code != 1 || !strings.Contains(errs, "line 2") {
		t.Fatalf("bad file: %d %q", code, errs)
	}
	if _, err := a.db.Key(t.Context(), "good-key-000001"); err == nil {
		t.Fatal("part of a bad file was imported")
	}
	if code, _, errs := a.cliRun(t, "import", "deny", listFile); code != 1 || !strings.Contains(errs, "allow-list") {
		t.Fatalf("import deny into an allow-list: %d %q", code, errs)
	}
}

// The same files straight into the database, without the API.
func TestImportFilesIntoStore(t *testing.T) {
	a := newAPI(t)
	dir := t.TempDir()
	keysFile := filepath.Join(dir, "keys.txt")
	os.WriteFile(keysFile, []byte("alice-0123456789\nbob-0123456789\n"), 0o600)
	listFile := filepath.Join(dir, "deny.txt")
	os.WriteFile(listFile, []byte(hashA+"\n"+hashB+"\n"), 0o600)
	if r, err := ImportKeysFile(t.Context(), a.db, keysFile, "start-up"); err != nil || r.Added != 2 {
		t.Fatalf("keys: %+v, %v", r, err)
	}
	if r, err := ImportInfoHashFile(t.Context(), a.db, listFile, ""); err != nil || r.Added != 2 {
		t.Fatalf("hashes: %+v, %v", r, err)
	}
	if r, err := ImportInfoHashFile(t.Context(), a.db, listFile, ""); err != nil || r.Unchanged != 2 {
		t.Fatalf("hashes again: %+v, %v", r, err)
	}
	if _, err := ImportKeysFile(t.Context(), a.db, listFile+".missing", ""); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestCLIStatsAndReload(t *testing.T) {
	a := newAPI(t)
	code, out, _ := a.cliRun(t, "torrent", hashA)
	if code != 0 || !strings.Contains(out, hashA) || !strings.Contains(out, "42") || !strings.Contains(out, "2030-05-06T07:08:09Z") {
		t.Fatalf("torrent: %d %q", code, out)
	}
	code, _, errs := a.cliRun(t, "torrent", strings.Repeat("c", 40))
	if code != 1 || !strings.Contains(errs, "knows nothing of this torrent") {
		t.Fatalf("unknown torrent: %d %q", code, errs)
	}
	code, out, _ = a.cliRun(t, "top", "-n", "1")
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, hashA) {
		t.Fatalf("top: %d %q", code, out)
	}
	if code, out, _ := a.cliRun(t, "reload"); code != 0 || !strings.Contains(out, "private: 5 keys") {
		t.Fatalf("reload: %d %q", code, out)
	}
	a.reloader.fail = true
	if code, _, errs := a.cliRun(t, "reload"); code != 1 || !strings.Contains(errs, "line 3") {
		t.Fatalf("failed reload: %d %q", code, errs)
	}
}

func TestCLIUsage(t *testing.T) {
	a := newAPI(t)
	for _, args := range [][]string{
		{}, {"frobnicate"}, {"keys"}, {"keys", "eat"}, {"keys", "add", "extra"}, {"keys", "add", "-ttl", "forever"},
		{"keys", "add", "-bogus"}, {"keys", "get"}, {"keys", "rm"}, {"allow", "add"}, {"import", "keys"},
		{"import", "stuff", "f"}, {"torrent"}, {"top", "-n", "0"}, {"reload", "now"}, {"-nope"},
	} {
		code, out, errs := a.cliRun(t, args...)
		if code != 2 || out != "" || !strings.Contains(errs, "usage: swarmbridge admin") {
			t.Errorf("%q: exit %d, stdout %q, stderr %.80q", args, code, out, errs)
		}
	}
	if code, out, _ := a.cliRun(t, "-h"); code != 0 || !strings.Contains(out, "keys add") {
		t.Errorf("-h: %d %q", code, out)
	}

	// Nowhere to connect, or no token: say which variable to set.
	var errw bytes.Buffer
	if code := runCLI(context.Background(), []string{"keys", "ls"}, func(string) string { return "" }, &bytes.Buffer{}, &errw); code != 2 || !strings.Contains(errw.String(), "SWARMBRIDGE_ADMIN_URL") {
		t.Errorf("no URL: %d %q", code, errw.String())
	}
	errw.Reset()
	env := map[string]string{"SWARMBRIDGE_ADMIN_ADDR": ":8081"}
	if code := runCLI(context.Background(), []string{"keys", "ls"}, func(k string) string { return env[k] }, &bytes.Buffer{}, &errw); code != 2 || !strings.Contains(errw.String(), "SWARMBRIDGE_ADMIN_TOKEN_FILE") {
		t.Errorf("no token: %d %q", code, errw.String())
	}
	// A wrong token: the API's refusal, not the token, is printed.
	wrong := filepath.Join(t.TempDir(), "wrong")
	os.WriteFile(wrong, []byte("not-the-right-token-at-all"), 0o600)
	code, _, errs := a.cliRun(t, "-token-file", wrong, "keys", "ls")
	if code != 1 || !strings.Contains(errs, "invalid bearer token") || strings.Contains(errs, "not-the-right") {
		t.Errorf("wrong token: %d %q", code, errs)
	}
}

func TestDialable(t *testing.T) {
	for in, want := range map[string]string{
		":8081":          "127.0.0.1:8081",
		"0.0.0.0:8081":   "127.0.0.1:8081",
		"[::]:8081":      "[::1]:8081",
		"10.1.2.3:8081":  "10.1.2.3:8081",
		"localhost:9000": "localhost:9000",
	} {
		if got := dialable(in); got != want {
			t.Errorf("dialable(%q) = %q, want %q", in, got, want)
		}
	}
}
