package browser_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// staticDir is the demo page as the tracker embeds it.
func staticDir() string { return filepath.Join(repoRoot(), "web", "static") }

// requireBundle fails the test when `make web` has not copied the
// WebTorrent bundle next to the page.
func requireBundle(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(staticDir(), "vendor", "webtorrent.min.js")); err != nil {
		t.Fatalf("WebTorrent bundle missing (%v): run `make web` or `make test`", err)
	}
}

// staticServer serves the page's files from disk on a server that is not
// a tracker: no WebSocket upgrades, no /stats. hide lists path prefixes to
// answer with 404.
func staticServer(t *testing.T, hide ...string) string {
	t.Helper()
	files := http.FileServer(http.Dir(staticDir()))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range hide {
			if strings.HasPrefix(r.URL.Path, p) {
				http.NotFound(w, r)
				return
			}
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// setFiles puts local files into an <input type=file> the way a user
// picking them would (DOM.setFileInputFiles fires input and change).
func (tb *tab) setFiles(selector string, paths ...string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS(selector), paths)); err != nil {
		tb.t.Fatalf("%s: set files of %s: %v", tb.name, selector, err)
	}
}

// viewport makes the tab's viewport width x height CSS pixels.
func (tb *tab) viewport(width, height int64) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		tb.t.Fatalf("%s: viewport: %v", tb.name, err)
	}
}

// beforeLoad runs script in every document the tab opens from now on,
// before the page's own scripts.
func (tb *tab) beforeLoad(script string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // attach the tab first
		tb.t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script}); err != nil {
		tb.t.Fatalf("%s: add script: %v", tb.name, err)
	}
}

// randomFile writes n random bytes to dir/name and returns the path and
// the hex SHA-256 of the content.
func randomFile(t *testing.T, dir, name string, n int) (string, string) {
	t.Helper()
	data := make([]byte, n)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return path, hex.EncodeToString(sum[:])
}

// pictureFile writes a small PNG (a gradient with a few "peers") so the
// page has an image to preview.
func pictureFile(t *testing.T, dir, name string) string {
	t.Helper()
	const w, h = 640, 360
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	nodes := [][2]float64{{150, 190}, {330, 100}, {480, 230}, {300, 280}, {540, 90}}
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/w, float64(y)/h
			c := color.RGBA{uint8(67 + 60*fx), uint8(56 + 90*fy), uint8(202 - 40*fx*fy), 255}
			for _, n := range nodes {
				d := math.Hypot(float64(x)-n[0], float64(y)-n[1])
				if d < 22 {
					c = color.RGBA{255, 255, 255, 255}
				} else if d < 30 {
					c = color.RGBA{c.R/2 + 120, c.G/2 + 120, c.B/2 + 120, 255}
				}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// noConsoleErrors fails the test for console errors and uncaught
// exceptions of the tabs.
func noConsoleErrors(t *testing.T, tabs ...*tab) {
	t.Helper()
	for _, tb := range tabs {
		if errs := tb.consoleErrors(); len(errs) > 0 {
			t.Errorf("%s: console errors:\n%s", tb.name, strings.Join(errs, "\n"))
		}
	}
}

// shareLink waits until the tab seeds a picked file and returns the share
// link the page shows for it.
func shareLink(tb *tab) string {
	tb.t.Helper()
	return waitFor[string](tb, `document.querySelector('.transfer[data-state="seeding"] .share-url')?.value`, 60*time.Second)
}

// savedFile is a downloaded file as the page hands it to the user.
type savedFile struct {
	SHA  string `json:"sha"` // hex SHA-256
	Size int    `json:"size"`
}

// saveFile fetches the file named name through the page's own download
// link, as a user saving it would, and hashes it.
func saveFile(tb *tab, name string) savedFile {
	tb.t.Helper()
	link := `[...document.querySelectorAll('.transfer a[download]')].find(a => a.download === ` + jsString(name) + `)`
	waitFor[bool](tb, link+` !== undefined`, 30*time.Second)
	return eval[savedFile](tb, `(async () => {
		const buf = await (await fetch(`+link+`.href)).arrayBuffer()
		const d = new Uint8Array(await crypto.subtle.digest('SHA-256', buf))
		return { sha: Array.from(d, x => x.toString(16).padStart(2, '0')).join(''), size: buf.byteLength }
	})()`)
}

// swarmCounts is one swarm's counts in the tracker's /stats.
type swarmCounts struct{ Complete, Incomplete, Downloaded int }

// trackerCounts asks the tracker at base for the swarm's counts.
func trackerCounts(t *testing.T, base, infoHash string) swarmCounts {
	t.Helper()
	var stats struct {
		Torrents map[string]swarmCounts `json:"torrents"`
	}
	getJSON(t, base+"/stats?info_hash="+infoHash, &stats)
	return stats.Torrents[infoHash]
}

// getJSON decodes the JSON body of a GET of url into v.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// recordWebSockets makes every page the tab opens from now on note the
// URL of each WebSocket it opens, for onlyWebSocketsTo.
func (tb *tab) recordWebSockets() {
	tb.t.Helper()
	tb.beforeLoad(`{
		const W = WebSocket
		globalThis.__sockets = []
		globalThis.WebSocket = class extends W {
			constructor (url, protocols) { super(url, protocols); globalThis.__sockets.push(String(url)) }
		}
	}`)
}

// onlyWebSocketsTo fails the test unless the page (after
// recordWebSockets) opened WebSockets, all of them to wsURL.
func onlyWebSocketsTo(tb *tab, wsURL string) {
	tb.t.Helper()
	sockets := eval[[]string](tb, `globalThis.__sockets`)
	if len(sockets) == 0 {
		tb.t.Errorf("%s: the page opened no WebSocket", tb.name)
	}
	for _, s := range sockets {
		if strings.TrimSuffix(s, "/") != wsURL {
			tb.t.Errorf("%s: page opened a WebSocket to %s; want only %s", tb.name, s, wsURL)
		}
	}
}
