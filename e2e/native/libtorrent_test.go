package native_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/torrenttest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
)

// systemPython is Debian's interpreter, the one python3-libtorrent is
// installed for; any other python3 on PATH (pyenv, venvs) lacks the module.
const systemPython = "/usr/bin/python3"

// requireLibtorrent fails (or skips on request) when Debian's libtorrent
// bindings are missing. The test never installs anything itself.
func requireLibtorrent(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(systemPython, "-c", "import libtorrent; print(libtorrent.__version__)").CombinedOutput()
	if err != nil {
		if os.Getenv("SWARMBRIDGE_SKIP_LIBTORRENT") == "1" {
			t.Skipf("skipping: %s cannot import libtorrent (SWARMBRIDGE_SKIP_LIBTORRENT=1): %v: %s", systemPython, err, out)
		}
		t.Fatalf("%s cannot import libtorrent: %v: %s\n"+
			"`make test` installs Debian's python3-libtorrent (apt-get install python3-libtorrent as root); "+
			"set SWARMBRIDGE_SKIP_LIBTORRENT=1 to skip this test instead", systemPython, err, bytes.TrimSpace(out))
	}
	return strings.TrimSpace(string(out))
}

// TestLibtorrentGetsPeers has libtorrent (Debian's python3-libtorrent, a
// client no one on the team wrote) download a file from an anacrolix seeder
// that it can only learn about from Swarmbridge: once over the http://
// announce URL and once over udp://. It checks libtorrent connected to the
// seeder's loopback address with "tracker" as the peer's source, that the
// bytes match, and that libtorrent's "completed" announce reached the swarm.
func TestLibtorrentGetsPeers(t *testing.T) {
	version := requireLibtorrent(t)
	t.Logf("libtorrent %s via %s", version, systemPython)
	script, err := filepath.Abs(filepath.Join("testdata", "lt_fetch.py"))
	if err != nil {
		t.Fatal(err)
	}
	for _, transport := range []string{"http", "udp"} {
		t.Run(transport, func(t *testing.T) {
			tr := trackerproc.Start(t, trackerBin)
			url := tr.HTTPURL() + "/announce"
			if transport == "udp" {
				url = "udp://" + tr.UDPAddr + "/announce"
			}
			testLibtorrentDownload(t, tr, script, url)
		})
	}
}

type ltEvent struct {
	Event              string   `json:"event"`
	What               string   `json:"what"`
	Version            string   `json:"version"`
	URL                string   `json:"url"`
	URLs               []string `json:"urls"`
	NumPeers           int      `json:"num_peers"`
	Message            string   `json:"message"`
	IP                 string   `json:"ip"`
	Port               int      `json:"port"`
	Source             []string `json:"source"`
	Client             string   `json:"client"`
	PeerID             string   `json:"peer_id"`
	Finished           bool     `json:"finished"`
	RepliesAfterFinish int      `json:"replies_after_finish"`
	Downloaded         int64    `json:"downloaded"`
	Total              int64    `json:"total"`
	Acknowledged       bool     `json:"acknowledged"`
}

func testLibtorrentDownload(t *testing.T, tr *trackerproc.Tracker, script, announceURL string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	seedDir := t.TempDir()
	const name = "lt-payload.bin"
	data, mi := torrenttest.MakeTorrent(t, seedDir, name, 1<<20, 64<<10, createdBy, announceURL)
	ih := id20(mi.HashInfoBytes())
	seeder := startSeeder(ctx, t, tr, seedDir, mi)

	torrentFile := filepath.Join(t.TempDir(), "payload.torrent")
	f, err := os.Create(torrentFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := mi.Write(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	saveDir := t.TempDir()
	cmd := exec.CommandContext(ctx, systemPython, script, "--torrent", torrentFile, "--save", saveDir, "--timeout", "120")
	cmd.WaitDelay = 10 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, runErr := cmd.Output()
	t.Logf("libtorrent ran %v; output:\n%s", time.Since(start).Round(time.Millisecond), out)
	if stderr.Len() > 0 {
		t.Logf("libtorrent stderr:\n%s", stderr.Bytes())
	}

	var events []ltEvent
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var e ltEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("script printed %q: %v", sc.Bytes(), err)
		}
		events = append(events, e)
	}
	has := func(pred func(ltEvent) bool) bool { return slices.ContainsFunc(events, pred) }

	if !has(func(e ltEvent) bool { return e.Event == "trackers" && slices.Equal(e.URLs, []string{announceURL}) }) {
		t.Errorf("libtorrent's tracker list is not exactly [%s]", announceURL)
	}
	if !has(func(e ltEvent) bool { return e.Event == "tracker_reply" && e.NumPeers >= 1 }) {
		t.Errorf("libtorrent never got a tracker reply with peers")
	}
	// libtorrent's only peer is the seeder: it got the address from the
	// tracker (peer source "tracker"), and the handshake there answered
	// with the seeder's peer id. libtorrent reports the source per
	// connection and may show none on a duplicate one, so the two facts are
	// checked separately, and no peer may come from DHT, PEX, LSD or resume
	// data.
	seederPort, seederID := seeder.LocalPort(), seeder.PeerID()
	isSeeder := func(e ltEvent) bool {
		return (e.Event == "peer" || e.Event == "peer_alert") && e.IP == "127.0.0.1" && e.Port == seederPort
	}
	if !has(func(e ltEvent) bool { return isSeeder(e) && slices.Contains(e.Source, "tracker") }) {
		t.Errorf("libtorrent never listed the seeder 127.0.0.1:%d with the tracker as its source", seederPort)
	}
	if !has(func(e ltEvent) bool { return isSeeder(e) && e.PeerID == hex.EncodeToString(seederID[:]) }) {
		t.Errorf("libtorrent never completed a handshake with the seeder 127.0.0.1:%d (peer id %x)", seederPort, seederID)
	}
	for _, e := range events {
		switch {
		case (e.Event == "peer" || e.Event == "peer_alert") && !isSeeder(e):
			t.Errorf("libtorrent has an unexpected peer %s:%d (source %v)", e.IP, e.Port, e.Source)
		case e.Event == "peer" && slices.ContainsFunc(e.Source, func(s string) bool { return s != "tracker" && s != "incoming" }):
			t.Errorf("libtorrent learned of %s:%d from %v, not only the tracker", e.IP, e.Port, e.Source)
		case e.Event == "tracker_error":
			t.Errorf("libtorrent tracker error from %s: %s", e.URL, e.Message)
		}
	}
	if runErr != nil {
		t.Fatalf("libtorrent script: %v", runErr)
	}

	got, err := os.ReadFile(filepath.Join(saveDir, name))
	if err != nil {
		t.Fatalf("libtorrent's download: %v", err)
	}
	checkSameBytes(t, "libtorrent's download", got, data)

	// libtorrent's "completed" announce (acknowledged before the script
	// exited) counted one download, which outlives its answered "stopped";
	// only the seeder is left.
	if !has(func(e ltEvent) bool { return e.Event == "stopped" && e.Acknowledged }) {
		t.Errorf("the tracker did not answer libtorrent's stopped announce within 15s")
	}
	s, err := scrapeOne(ctx, httpTracker(t, tr), ih)
	if err != nil {
		t.Fatal(err)
	}
	if s.Downloaded != 1 || s.Complete+s.Incomplete != 1 {
		t.Errorf("scrape after libtorrent left: %+v; want downloaded=1 (its completed event) and only the seeder left", s)
	}
}
