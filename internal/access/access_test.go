package access

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func hash(b byte) [20]byte {
	var h [20]byte
	for i := range h {
		h[i] = b
	}
	return h
}

const (
	hexA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	hexB = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB" // upper case is fine
)

func TestParseInfoHashes(t *testing.T) {
	set, err := ParseInfoHashes(strings.NewReader("# torrents\n\n" + hexA + "\n  " + hexB + "  # with a comment\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(set) != 2 {
		t.Fatalf("got %d hashes", len(set))
	}
	if _, ok := set[hash(0xaa)]; !ok {
		t.Fatal("lower-case hash missing")
	}
	if _, ok := set[hash(0xbb)]; !ok {
		t.Fatal("upper-case hash missing")
	}
	for _, bad := range []string{
		hexA[:39],
		hexA + "a",
		strings.Repeat("z", 40),
		"magnet:?xt=urn:btih:" + hexA,
	} {
		_, err := ParseInfoHashes(strings.NewReader(hexA + "\n" + bad + "\n"))
		if err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: error %v does not name line 2", bad, err)
		}
	}
	// An empty file is an empty list, not an error.
	if set, err := ParseInfoHashes(strings.NewReader("# nothing yet\n")); err != nil || len(set) != 0 {
		t.Fatalf("empty list: %v %v", set, err)
	}
}

func TestParseKeys(t *testing.T) {
	set, err := ParseKeys(strings.NewReader("# users\nalice-0123456789\nbob_key.v2~x  # bob\n"))
	if err != nil || len(set) != 2 {
		t.Fatalf("%v %v", set, err)
	}
	for _, bad := range []string{"short", "has space inside", "slash/inside12", "announce", "scrape", "percent%20key", strings.Repeat("k", MaxKeyLen+1)} {
		if _, err := ParseKeys(strings.NewReader("goodkey123\n" + bad + "\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: error %v", bad, err)
		}
	}
}

func TestParsePath(t *testing.T) {
	for _, tc := range []struct {
		path, action, key string
		ok                bool
	}{
		{"/announce", "announce", "", true},
		{"/scrape", "scrape", "", true},
		{"/announce?info_hash=x", "announce", "", true},
		{"/announce/secret-key1", "announce", "secret-key1", true},
		{"/scrape/secret-key1", "scrape", "secret-key1", true},
		{"/secret-key1/announce", "announce", "secret-key1", true},
		{"/secret-key1/scrape?x=/y", "scrape", "secret-key1", true},
		{"/", "", "", false},
		{"", "", "", false},
		{"/stats", "", "", false},
		{"/announce/", "", "", false},
		{"/announce/a/b", "", "", false},
		{"/a/b", "", "", false},
		{"/announce/bad%20key", "", "", false},
		{"announce", "", "", false},
	} {
		action, key, ok := ParsePath(tc.path)
		if action != tc.action || key != tc.key || ok != tc.ok {
			t.Errorf("ParsePath(%q) = %q, %q, %v; want %q, %q, %v", tc.path, action, key, ok, tc.action, tc.key, tc.ok)
		}
	}
}

func TestOrigins(t *testing.T) {
	o, err := ParseOrigins("https://app.example.com, http://localhost:8080, example.org, *.example.net, https://*.cdn.test, null")
	if err != nil {
		t.Fatal(err)
	}
	for origin, want := range map[string]bool{
		"":                             true, // not a browser
		"https://app.example.com":      true,
		"HTTPS://APP.EXAMPLE.COM":      true,
		"http://app.example.com":       false, // scheme differs
		"https://app.example.com:444":  false, // port differs
		"http://localhost:8080":        true,
		"http://localhost:8081":        false,
		"http://localhost":             false,
		"https://example.org":          true,
		"http://example.org:3000":      true, // host pattern: any scheme and port
		"https://www.example.org":      false,
		"https://a.example.net":        true,
		"https://a.b.example.net":      true,
		"https://example.net":          false, // the apex is not a subdomain
		"https://evil-example.net":     false,
		"https://x.cdn.test":           true,
		"http://x.cdn.test":            false,
		"null":                         true,
		"https://app.example.com.evil": false,
		"garbage":                      false,
	} {
		if got := o.Allow(origin); got != want {
			t.Errorf("Allow(%q) = %v, want %v", origin, got, want)
		}
	}
	for _, open := range []string{"", " , ", "*", "https://a.test,*"} {
		o, err := ParseOrigins(open)
		if err != nil || !o.Open() || !o.Allow("https://anything.test") {
			t.Errorf("%q should let every page in (%v)", open, err)
		}
	}
	for _, bad := range []string{"https://a.test/path", "ht tp://a.test", "a.*.test", "https://", "https://a.test:port"} {
		if _, err := ParseOrigins("ok.test," + bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// privateControl is a private tracker's Control loaded from an allow-list
// with A and a key file with alice's key, and the paths of both files.
func privateControl(t *testing.T) (c *Control, allow, keys string) {
	t.Helper()
	dir := t.TempDir()
	allow = filepath.Join(dir, "allow.txt")
	keys = filepath.Join(dir, "keys.txt")
	writeFile(t, allow, hexA+"\n")
	writeFile(t, keys, "alice-0123456789\n")
	hf, err := LoadHashFilter(allow, false)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := LoadKeys(keys)
	if err != nil {
		t.Fatal(err)
	}
	return &Control{Hashes: hf, Keys: ks}, allow, keys
}

func TestControlChecks(t *testing.T) {
	c, allow, _ := privateControl(t)
	if !c.Private() {
		t.Fatal("not private")
	}
	if c.CheckInfoHash(hash(0xaa)) != nil || !errors.Is(c.CheckInfoHash(hash(0xbb)), ErrInfoHashNotAllowed) {
		t.Fatal("allow-list not applied")
	}
	for path, want := range map[string]error{
		"/announce/alice-0123456789":     nil,
		"/alice-0123456789/announce":     nil,
		"/scrape/alice-0123456789":       nil,
		"/announce/alice-0123456789?x=1": nil,
		"/announce/mallory-01234567":     ErrUnknownKey,
		"/announce":                      ErrMissingKey,
		"/":                              ErrMissingKey,
		"/whatever":                      ErrMissingKey,
	} {
		if err := c.CheckPath(path); err != want {
			t.Errorf("CheckPath(%q) = %v, want %v", path, err, want)
		}
		if err := c.CheckURLData([]byte(path)); err != want {
			t.Errorf("CheckURLData(%q) = %v, want %v", path, err, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = c.CheckURLData([]byte("/announce/alice-0123456789")) }); n != 0 {
		t.Errorf("CheckURLData allocates %v times", n)
	}

	open := &Control{}
	if open.Private() || open.CheckPath("/anything") != nil || open.CheckInfoHash(hash(1)) != nil || !open.AllowOrigin("https://x.test") {
		t.Fatal("an empty Control must allow everything")
	}

	deny := filepath.Join(filepath.Dir(allow), "deny.txt")
	writeFile(t, deny, hexA+"\n")
	df, err := LoadHashFilter(deny, true)
	if err != nil {
		t.Fatal(err)
	}
	d := &Control{Hashes: df}
	if !errors.Is(d.CheckInfoHash(hash(0xaa)), ErrInfoHashNotAllowed) || d.CheckInfoHash(hash(0xbb)) != nil {
		t.Fatal("deny-list not applied")
	}
}

// A reload swaps the lists in; a file that fails to parse (or vanished)
// leaves the previous version in force and says which file failed.
func TestReloadKeepsThePreviousVersionOnError(t *testing.T) {
	c, allow, keys := privateControl(t)

	// Good reload: B replaces A, bob replaces alice.
	writeFile(t, allow, hexB+"\n")
	writeFile(t, keys, "bob-0123456789\n")
	if err := c.Reload(); err != nil {
		t.Fatal(err)
	}
	if c.CheckInfoHash(hash(0xbb)) != nil || c.CheckInfoHash(hash(0xaa)) == nil {
		t.Fatal("allow-list not reloaded")
	}
	if c.CheckPath("/announce/bob-0123456789") != nil || c.CheckPath("/announce/alice-0123456789") != ErrUnknownKey {
		t.Fatal("keys not reloaded")
	}

	// Broken hash file, good keys file: the keys change, the hashes stay.
	writeFile(t, allow, hexA+"\nnot a hash\n")
	writeFile(t, keys, "carol-0123456789\n")
	err := c.Reload()
	if err == nil || !strings.Contains(err.Error(), allow) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("error %v does not name the file and line", err)
	}
	if c.CheckInfoHash(hash(0xbb)) != nil || c.CheckInfoHash(hash(0xaa)) == nil {
		t.Fatal("a broken allow-list replaced the previous one")
	}
	if c.CheckPath("/announce/carol-0123456789") != nil {
		t.Fatal("the good keys file was not reloaded")
	}

	// A missing file keeps the previous keys too.
	if err := os.Remove(keys); err != nil {
		t.Fatal(err)
	}
	if err := c.Reload(); err == nil || !strings.Contains(err.Error(), "keys file") {
		t.Fatalf("missing keys file: %v", err)
	}
	if c.CheckPath("/announce/carol-0123456789") != nil {
		t.Fatal("keys lost when the file vanished")
	}
	if s := c.Summary(); !strings.Contains(s, "allow-list: 1") || !strings.Contains(s, "private: 1") {
		t.Fatalf("summary %q", s)
	}
}

func TestLoadFailsOnBadFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadHashFilter(filepath.Join(dir, "missing"), false); err == nil {
		t.Fatal("missing file accepted")
	}
	bad := filepath.Join(dir, "bad")
	writeFile(t, bad, "xyz\n")
	if _, err := LoadHashFilter(bad, true); err == nil || !strings.Contains(err.Error(), "deny-list") {
		t.Fatalf("bad deny-list: %v", err)
	}
	if _, err := LoadKeys(bad); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("bad keys: %v", err)
	}
}
