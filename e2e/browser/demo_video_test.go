package browser_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
)

// recordVideo has Chromium itself record a WebM (VP8) of seconds of
// random noise at 320x240 and writes it to dir/name: noise does not
// compress, so the clip is a few MiB and takes a while to download. A real
// video from a real encoder, without committing a binary to the
// repository.
func recordVideo(tb *tab, dir, name string, seconds int) string {
	tb.t.Helper()
	dataURL := eval[string](tb, `(async () => {
		const c = document.createElement('canvas')
		c.width = 320; c.height = 240
		const g = c.getContext('2d')
		const img = g.createImageData(320, 240)
		let x = 1
		const draw = () => {
			for (let i = 0; i < img.data.length; i += 4) {
				x = (Math.imul(x, 1103515245) + 12345) >>> 0
				img.data[i] = x >>> 24; img.data[i + 1] = x >>> 16; img.data[i + 2] = x >>> 8; img.data[i + 3] = 255
			}
			g.putImageData(img, 0, 0)
		}
		draw()
		const rec = new MediaRecorder(c.captureStream(25), { mimeType: 'video/webm;codecs=vp8', videoBitsPerSecond: 8000000 })
		const chunks = []
		rec.ondataavailable = e => chunks.push(e.data)
		const stopped = new Promise(resolve => { rec.onstop = resolve })
		rec.start(250)
		const timer = setInterval(draw, 40)
		await new Promise(resolve => setTimeout(resolve, `+strconv.Itoa(seconds*1000)+`))
		clearInterval(timer)
		rec.stop()
		await stopped
		const blob = new Blob(chunks, { type: 'video/webm' })
		return await new Promise(resolve => {
			const r = new FileReader()
			r.onload = () => resolve(r.result)
			r.readAsDataURL(blob)
		})
	})()`)
	b64, ok := strings.CutPrefix(dataURL, "data:video/webm;base64,")
	if !ok {
		tb.t.Fatalf("recording: unexpected data URL %.60q", dataURL)
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		tb.t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	return path
}

// A video shared on the page plays in the receiving tab while it is still
// downloading, through the service worker's stream of the torrent, and
// keeps playing from that stream once the download is complete.
func TestDemoPageStreamsVideo(t *testing.T) {
	requireBundle(t)
	tr := trackerproc.Start(t, trackerBin)
	b := newBrowser(t)

	seed := b.newTab("video-seeder")
	seed.navigate(tr.HTTPURL() + "/")
	pageReady(seed)
	clip := recordVideo(seed, t.TempDir(), "noise.webm", 6)
	st, err := os.Stat(clip)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s: %d bytes", filepath.Base(clip), st.Size())
	seed.setFiles("#file-input", clip)
	link := shareLink(seed)
	// The seeder previews its own file from the local copy.
	waitFor[bool](seed, `document.querySelector('.transfer .preview video')?.readyState >= 1`, 20*time.Second)

	leech := b.newTab("video-leecher")
	leech.navigate(link)
	const video = `document.querySelector('.transfer[data-role="receive"] .preview video')`
	type state struct {
		Src      string  `json:"src"`
		Width    int     `json:"width"`
		Progress float64 `json:"progress"`
		Note     string  `json:"note"`
	}
	// The first decoded frame (readyState 2: HAVE_CURRENT_DATA) of a
	// video element whose source is WebTorrent's stream.
	first := waitFor[state](leech, `(() => {
		const v = `+video+`
		if (!v || v.readyState < 2) return null
		return { src: v.currentSrc, width: v.videoWidth,
			progress: document.querySelector('.transfer[data-role="receive"] progress').value,
			note: document.querySelector('.transfer[data-role="receive"] .waiting')?.textContent || '' }
	})()`, 120*time.Second)
	t.Logf("first frame at %.0f%% downloaded, from %s", first.Progress, first.Src)
	if !strings.Contains(first.Src, "/webtorrent/") || strings.HasPrefix(first.Src, "blob:") {
		t.Errorf("video plays from %q, want WebTorrent's stream (/webtorrent/…) rather than a finished download", first.Src)
	}
	if first.Width != 320 {
		t.Errorf("video is %d pixels wide, want the recorded 320", first.Width)
	}
	// A 4 MiB clip takes seconds to arrive over WebRTC; the first frame
	// needs its first quarter second.
	if first.Progress >= 100 {
		t.Errorf("the first frame showed only once the download was complete")
	}
	if !strings.Contains(first.Note, "Plays while downloading") {
		t.Errorf("while streaming the page says %q, want it to say the video plays while downloading", first.Note)
	}
	// It plays: playback time moves on (muted, as autoplay rules allow).
	waitFor[bool](leech, `(() => { const v = `+video+`; v.muted = true; if (v.paused) v.play(); return v.currentTime > 0.5 })()`, 30*time.Second)
	waitFor[bool](leech, `document.querySelector('.transfer[data-role="receive"] progress')?.value === 100`, 120*time.Second)
	// Once complete it can be saved too.
	waitFor[bool](leech, `[...document.querySelectorAll('.transfer a[download]')].some(a => a.download === 'noise.webm')`, 30*time.Second)
	if src := eval[string](leech, video+`.currentSrc`); src != first.Src {
		t.Errorf("the video was swapped for %q after the download finished; it should keep playing from the stream", src)
	}
	leech.screenshot("demo-video-leecher.png")
	noConsoleErrors(t, seed, leech)
}
