package browser_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
)

// pageReady waits until the demo page has loaded WebTorrent and reached
// the tracker.
func pageReady(tb *tab) {
	tb.t.Helper()
	waitFor[bool](tb, `document.body.dataset.ready === 'true' && document.querySelector('#tracker-pill').dataset.state === 'online'`, 30*time.Second)
}

// The page the tracker serves shares files between two tabs: tab A seeds
// a picked file, tab B opens the share link and downloads it through this
// tracker (and no other), and the saved bytes are the original bytes.
func TestDemoPageSharesAFileBetweenTabs(t *testing.T) {
	requireBundle(t)
	tr := trackerproc.Start(t, trackerBin)
	b := newBrowser(t)
	dir := t.TempDir()
	const size = 3<<20 + 4321
	payload, want := randomFile(t, dir, "random-3MiB.bin", size)
	picture := pictureFile(t, dir, "swarm.png")

	seed := b.newTab("seeder")
	seed.navigate(tr.HTTPURL() + "/")
	pageReady(seed)
	if !eval[bool](seed, `globalThis.WEBTORRENT_ANNOUNCE === undefined`) {
		t.Error("globalThis.WEBTORRENT_ANNOUNCE is set: WebTorrent would announce to other trackers")
	}
	seed.setFiles("#file-input", payload, picture)
	link := shareLink(seed)
	infoHash := eval[string](seed, `document.querySelector('.transfer .infohash code').textContent`)

	// The share link is this page carrying a magnet that names this
	// tracker only.
	u, err := url.Parse(link)
	if err != nil || u.Host != tr.HTTPAddr || u.Path != "/" {
		t.Fatalf("share link %q: want a link to the page at %s (%v)", link, tr.HTTPURL(), err)
	}
	frag, _ := url.ParseQuery(u.EscapedFragment())
	magnet := frag.Get("magnet")
	mq, _ := url.ParseQuery(strings.TrimPrefix(magnet, "magnet:?"))
	if got := mq["tr"]; len(got) != 1 || got[0] != tr.WSURL() {
		t.Errorf("magnet %q announces to %v, want only %s", magnet, got, tr.WSURL())
	}
	if mq.Get("xt") != "urn:btih:"+infoHash || len(infoHash) != 40 {
		t.Errorf("magnet %q: xt does not match the info hash %q shown on the page", magnet, infoHash)
	}

	leech := b.newTab("leecher")
	leech.navigate(link)
	waitFor[bool](leech, `document.querySelector('.transfer[data-role="receive"] progress')?.value === 100`, 120*time.Second)
	if pct := leech.text(".transfer .pct"); pct != "100%" {
		t.Errorf("progress text %q, want 100%%", pct)
	}

	// Save the file through the page's own download link and hash it.
	if got := saveFile(leech, "random-3MiB.bin"); got.Size != size || got.SHA != want {
		t.Fatalf("saved file: %d bytes with sha256 %s, want %d bytes with %s", got.Size, got.SHA, size, want)
	}
	// The picture plays in the page on both sides.
	waitFor[bool](leech, `[...document.querySelectorAll('.transfer .preview img')].some(i => i.complete && i.naturalWidth === 640)`, 20*time.Second)
	waitFor[bool](seed, `[...document.querySelectorAll('.transfer .preview img')].some(i => i.complete && i.naturalWidth === 640)`, 20*time.Second)

	// The stats panels show the swarm, and the tracker itself counts it.
	for _, tb := range []*tab{seed, leech} {
		waitFor[bool](tb, `Number(document.querySelector('#stat-peers').textContent) >= 2 && /2 seeders/.test(document.querySelector('#stats-mine').textContent)`, 20*time.Second)
		if peers := eval[int](tb, `Number(document.querySelector('.transfer [data-metric="peers"]').textContent)`); peers < 1 {
			t.Errorf("%s: transfer shows %d peers", tb.name, peers)
		}
	}
	if c := trackerCounts(t, tr.HTTPURL(), infoHash); c.Complete < 2 || c.Downloaded < 1 {
		t.Errorf("tracker counts for %s: %+v, want 2 seeders and a download", infoHash, c)
	}
	seed.screenshot("demo-seeder.png")
	leech.screenshot("demo-leecher.png")
	noConsoleErrors(t, seed, leech)
}

// At phone width the page fits the screen, including a transfer with its
// share link, and the developer snippet names this tracker.
func TestDemoPageFitsAPhone(t *testing.T) {
	requireBundle(t)
	tr := trackerproc.Start(t, trackerBin)
	b := newBrowser(t)
	phone := b.newTab("phone")
	phone.viewport(375, 800)
	phone.navigate(tr.HTTPURL() + "/")
	pageReady(phone)

	if snippet := phone.text("#snippet"); !strings.Contains(snippet, "'"+tr.WSURL()+"'") {
		t.Errorf("snippet does not use %s:\n%s", tr.WSURL(), snippet)
	}
	if w := eval[int](phone, `innerWidth`); w != 375 {
		t.Fatalf("viewport is %d px wide, want 375", w)
	}
	path, _ := randomFile(t, t.TempDir(), "a-rather-long-file-name-from-a-phone-camera-20240101-123456.bin", 64<<10)
	phone.setFiles("#file-input", path)
	shareLink(phone)
	// A file dropped on the drop zone is shared too.
	eval[bool](phone, `(() => {
		const dt = new DataTransfer()
		dt.items.add(new File([new Uint8Array(2048).fill(7)], 'dropped.txt', { type: 'text/plain' }))
		return document.querySelector('#drop-zone').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }))
	})()`)
	waitFor[bool](phone, `document.querySelectorAll('.transfer[data-state="seeding"] .share-url').length === 2 && document.querySelector('.transfer-name').textContent === 'dropped.txt'`, 60*time.Second)
	waitFor[bool](phone, `document.querySelector('#stat-peers').textContent === '2'`, 15*time.Second)
	// Copy link copies, or selects the link when the clipboard is refused.
	eval[bool](phone, `(document.querySelector('.share-box .button').click(), true)`)
	if status := waitFor[string](phone, `document.querySelector('.share-box .copy-status').textContent`, 5*time.Second); !strings.Contains(status, "Copied") && !strings.Contains(status, "Selected") {
		t.Errorf("copy status %q", status)
	}

	overflow := eval[[]string](phone, `(() => {
		const out = []
		if (document.documentElement.scrollWidth > innerWidth) out.push('document is ' + document.documentElement.scrollWidth + ' px wide')
		for (const el of document.querySelectorAll('body *')) {
			const r = el.getBoundingClientRect()
			if (r.width > 0 && (r.right > innerWidth + 0.5 || r.left < -0.5) && !el.closest('.visually-hidden, .skip')) {
				out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + el.className + ' spans ' + r.left + '..' + r.right)
			}
		}
		return out
	})()`)
	if len(overflow) > 0 {
		t.Errorf("content wider than a 375 px phone:\n%s", strings.Join(overflow, "\n"))
	}
	phone.screenshot("demo-phone.png")
	noConsoleErrors(t, phone)
}

// Problems a user can hit are said in plain words.
func TestDemoPageExplainsProblems(t *testing.T) {
	requireBundle(t)
	alert := func(tb *tab, want string) {
		tb.t.Helper()
		waitFor[bool](tb, `document.querySelector('#alerts').textContent.includes(`+jsString(want)+`)`, 30*time.Second)
	}

	t.Run("tracker stops", func(t *testing.T) {
		tr := trackerproc.Start(t, trackerBin)
		b := newBrowser(t)
		tb := b.newTab("page")
		tb.navigate(tr.HTTPURL() + "/")
		pageReady(tb)
		if err := tr.Stop(15 * time.Second); err != nil {
			t.Fatal(err)
		}
		alert(tb, "Can't reach the tracker.")
		waitFor[bool](tb, `document.querySelector('#tracker-pill').textContent.includes('Tracker unreachable')`, 5*time.Second)
		if msg := tb.text("#alerts"); !strings.Contains(msg, tr.WSURL()) {
			t.Errorf("alert does not name the tracker %s: %q", tr.WSURL(), msg)
		}
		tb.screenshot("demo-tracker-down.png")
	})

	t.Run("no tracker behind the page", func(t *testing.T) {
		b := newBrowser(t)
		tb := b.newTab("page")
		tb.navigate(staticServer(t) + "/")
		alert(tb, "Can't reach the tracker.")
		// A shared file says why nobody will find it.
		waitFor[bool](tb, `document.body.dataset.ready === 'true'`, 30*time.Second)
		path, _ := randomFile(t, t.TempDir(), "x.bin", 1024)
		tb.setFiles("#file-input", path)
		waitFor[bool](tb, `document.querySelector('.transfer .hint')?.textContent.includes("Can't reach the tracker")`, 30*time.Second)
	})

	t.Run("no WebRTC", func(t *testing.T) {
		tr := trackerproc.Start(t, trackerBin)
		b := newBrowser(t)
		tb := b.newTab("page")
		tb.beforeLoad(`delete window.RTCPeerConnection; delete window.webkitRTCPeerConnection`)
		tb.navigate(tr.HTTPURL() + "/")
		alert(tb, "This browser can't make peer-to-peer connections.")
		if !eval[bool](tb, `document.querySelector('#pick').disabled`) {
			t.Error("the Choose files button is enabled without WebRTC")
		}
		// The tracker's numbers still show.
		waitFor[bool](tb, `document.querySelector('#stat-peers').textContent === '0'`, 15*time.Second)
		noConsoleErrors(t, tb)
	})

	t.Run("no peers yet", func(t *testing.T) {
		tr := trackerproc.Start(t, trackerBin)
		b := newBrowser(t)
		tb := b.newTab("page")
		tb.recordWebSockets()
		const ih = "0123456789abcdef0123456789abcdef01234567"
		magnet := "magnet:?xt=urn:btih:" + ih + "&dn=nothing.bin" +
			"&tr=" + url.QueryEscape("wss://tracker.example.org") + "&tr=" + url.QueryEscape("udp://tracker.example.org:6969") +
			"&ws=" + url.QueryEscape("https://example.org/nothing.bin")
		tb.navigate(tr.HTTPURL() + "/#magnet=" + url.QueryEscape(magnet))
		waitFor[bool](tb, `document.querySelector('.transfer .hint')?.textContent.includes('keep the sharing tab open')`, 30*time.Second)
		if name := tb.text(".transfer-name"); name != "nothing.bin" {
			t.Errorf("transfer is named %q, want the link's name nothing.bin", name)
		}
		// The download announced to this tracker and to no tracker the link named.
		waitFor[bool](tb, `/1 leecher/.test(document.querySelector('[data-metric="swarm"]').textContent)`, 15*time.Second)
		onlyWebSocketsTo(tb, tr.WSURL())
		tb.screenshot("demo-no-peers.png")
		noConsoleErrors(t, tb)
	})

	t.Run("bundle missing", func(t *testing.T) {
		b := newBrowser(t)
		tb := b.newTab("page")
		tb.navigate(staticServer(t, "/vendor/") + "/")
		alert(tb, "make web")
	})
}
