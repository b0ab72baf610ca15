package access

import (
	"strings"
	"testing"
)

// FuzzParsePath: any request path, from any client. ParsePath must not
// panic, must agree with its []byte form, and what it accepts must be one
// of the documented shapes with a key of URL-safe characters.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"/announce", "/scrape", "/announce/abcdefgh", "/abcdefgh/scrape", "/announce?info_hash=x",
		"/", "", "announce", "/announce/", "//announce", "/a/b/c", "/announce/a%20b", "/scrape/announce",
		"/announce/" + strings.Repeat("k", 200), "/\xff/announce", "/announce?/x/y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		action, key, ok := ParsePath(path)
		bAction, ks, ke, bOK := parsePath([]byte(path))
		if bOK != ok || bAction != action || (ok && path[ks:ke] != key) {
			t.Fatalf("string and []byte forms disagree on %q: (%q %q %v) vs (%q %q %v)", path, action, key, ok, bAction, path[ks:ke], bOK)
		}
		if !ok {
			return
		}
		if action != ActionAnnounce && action != ActionScrape {
			t.Fatalf("%q: action %q", path, action)
		}
		p, _, _ := strings.Cut(path, "?")
		switch {
		case key == "":
			if p != "/"+action {
				t.Fatalf("%q accepted without a key", path)
			}
		case !validKeyChars(key):
			t.Fatalf("%q: key %q has characters URLs escape", path, key)
		case p != "/"+action+"/"+key && p != "/"+key+"/"+action:
			t.Fatalf("%q: action %q and key %q are not the whole path", path, action, key)
		}
	})
}
