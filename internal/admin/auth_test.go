package admin

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Without the token nothing but the OpenAPI document is served, whatever
// the route (a known one, an unknown one, a wrong method); the answer is
// 401 with a JSON error and a WWW-Authenticate challenge, and neither it
// nor the log repeats the token that was sent.
func TestAuthentication(t *testing.T) {
	a := newAPI(t)
	wrong := "Bearer " + testToken[:len(testToken)-1] + "X" // one character off
	for _, tc := range []struct {
		name, auth, want string
	}{
		{"no token", "", "missing bearer token"},
		{"wrong token", wrong, "invalid bearer token"},
		{"wrong scheme", "Basic " + testToken, "invalid bearer token"},
		{"token alone", testToken, "invalid bearer token"},
		{"empty bearer", "Bearer ", "invalid bearer token"},
		{"token as a prefix", "Bearer " + testToken + "extra", "invalid bearer token"},
	} {
		for _, rt := range []struct{ method, path string }{
			{"GET", "/admin/keys"},
			{"POST", "/admin/keys"},
			{"DELETE", "/admin/keys/some-key-123"},
			{"POST", "/admin/reload"},
			{"GET", "/admin/nope"},
			{"PUT", "/admin/keys"},
		} {
			r := a.request(t, rt.method, rt.path, `{"ttl":"1d"}`, "Authorization", tc.auth)
			if r.status != http.StatusUnauthorized {
				t.Errorf("%s: %s %s: HTTP %d", tc.name, rt.method, rt.path, r.status)
				continue
			}
			if msg := r.errorText(t); !strings.Contains(msg, tc.want) {
				t.Errorf("%s: error %q", tc.name, msg)
			}
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: WWW-Authenticate %q", tc.name, r.header.Get("WWW-Authenticate"))
			}
		}
	}
	if n := a.reloader.calls; n != 0 {
		t.Fatalf("reload ran %d times without the token", n)
	}
	if keys, _ := a.db.Keys(t.Context(), "", 0); len(keys) != 0 {
		t.Fatal("a key was created without the token")
	}

	// The right token, as a client would send it; the scheme is case
	// insensitive.
	for _, auth := range []string{"Bearer " + testToken, "bearer " + testToken} {
		if r := a.request(t, "GET", "/admin/keys", nil, "Authorization", auth); r.status != http.StatusOK {
			t.Errorf("%q: HTTP %d %s", auth[:7], r.status, r.body)
		}
	}
	// The document is public.
	if r := a.request(t, "GET", "/admin/openapi.json", nil, "Authorization", ""); r.status != http.StatusOK {
		t.Errorf("openapi.json without a token: HTTP %d", r.status)
	}
	if !strings.Contains(a.logs.String(), "refused a request without a valid token") {
		t.Errorf("refusals not logged:\n%s", a.logs.String())
	}
	// newAPI's cleanup checks that the token appears in no log line and
	// no answer.
}

func TestNewRefusesWeakSetups(t *testing.T) {
	a := newAPI(t)
	good := Options{Token: []byte(testToken), Store: a.db, Stats: a.stats, Reloader: a.reloader}
	for name, mutate := range map[string]func(*Options){
		"no token":    func(o *Options) { o.Token = nil },
		"short token": func(o *Options) { o.Token = []byte("123456789012345") },
		"no store":    func(o *Options) { o.Store = nil },
		"no stats":    func(o *Options) { o.Stats = nil },
		"no reloader": func(o *Options) { o.Reloader = nil },
		"bad mode":    func(o *Options) { o.ListMode = "block" },
	} {
		o := good
		mutate(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(good); err != nil {
		t.Fatal(err)
	}
}

func TestReadTokenFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tok, err := ReadTokenFile(write("good", "  "+testToken+"\n"))
	if err != nil || string(tok) != testToken {
		t.Fatalf("%q, %v", tok, err)
	}
	secret := "s3cr3t-but-short"
	for name, content := range map[string]string{
		"short":  "s3cr3t\n",
		"empty":  "\n\n",
		"spaces": secret + " " + secret,
		"huge":   strings.Repeat("x", maxTokenFile+1),
		"ctrl":   secret + "\x00" + secret,
	} {
		_, err := ReadTokenFile(write(name, content))
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "xxxx") {
			t.Errorf("%s: the error shows the file's content: %v", name, err)
		}
	}
	if _, err := ReadTokenFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file accepted")
	}
}
