package browser_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
)

// pageServer serves the interop test page and the unmodified WebTorrent
// browser bundle that `make web` copies out of npm (web/package.json pins
// its version).
func pageServer(t *testing.T) string {
	t.Helper()
	bundle := filepath.Join(repoRoot(), "web", "static", "vendor", "webtorrent.min.js")
	if _, err := os.Stat(bundle); err != nil {
		t.Fatalf("WebTorrent bundle missing (%v): run `make web` or `make test`", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/vendor/webtorrent.min.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		http.ServeFile(w, r, bundle)
	})
	mux.HandleFunc("/webtorrent.html", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join("testdata", "webtorrent.html"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// Two tabs running the real WebTorrent 3 browser bundle share a file
// through Swarmbridge: the seeder's offers and the leecher's answers go
// only through the tracker, then the data flows over WebRTC.
func TestWebTorrentBrowserBundleSharesAFile(t *testing.T) {
	tr := trackerproc.Start(t, trackerBin)
	pages := pageServer(t)
	b := newBrowser(t)
	const size = 3 << 20

	seed := b.newTab("seeder")
	seed.navigate(pages + "/webtorrent.html?role=seed&size=" + itoa(size) + "&tracker=" + url.QueryEscape(tr.WSURL()))
	type seeded struct {
		Magnet   string `json:"magnet"`
		InfoHash string `json:"infoHash"`
		SHA      string `json:"sha"`
		Size     int    `json:"size"`
	}
	s := waitFor[seeded](seed, "window.result", 60*time.Second)

	leech := b.newTab("leecher")
	leech.navigate(pages + "/webtorrent.html?role=leech&tracker=" + url.QueryEscape(tr.WSURL()) + "&magnet=" + url.QueryEscape(s.Magnet))
	type got struct {
		SHA   string `json:"sha"`
		Size  int    `json:"size"`
		Peers int    `json:"peers"`
	}
	g := waitFor[got](leech, "window.result", 120*time.Second)
	seed.screenshot("interop-webtorrent-seeder.png")
	leech.screenshot("interop-webtorrent-leecher.png")

	if g.Size != size || g.SHA != s.SHA {
		t.Fatalf("downloaded %d bytes with sha256 %s, want %d bytes with %s", g.Size, g.SHA, size, s.SHA)
	}
	for _, tb := range []*tab{seed, leech} {
		if fails := eval[[]string](tb, "window.failures"); len(fails) > 0 {
			t.Errorf("%s reported errors: %v", tb.name, fails)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
