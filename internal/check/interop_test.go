package check

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/loopbackns"
)

// The checker against the two trackers the project compares itself with,
// each on loopback: bittorrent-tracker 11 (bench/node, the WebTorrent
// reference) and Debian's opentracker (whitelist mode). Both must be
// reported as they are, quirks included.

// requireExternal fails under scripts/test.sh (which installs what these
// tests need and sets SWARMBRIDGE_REQUIRE_NETNS=1) and skips elsewhere.
func requireExternal(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv(loopbackns.RequireVar) == "1" {
		t.Fatalf("%s is missing: %v", what, err)
	}
	t.Skipf("skipping: %s is missing: %v (run scripts/test.sh, or set %s=1 to make this an error)", what, err, loopbackns.RequireVar)
}

// freePorts returns a loopback TCP port and a UDP port that were free a
// moment ago.
func freePorts(t *testing.T) (int, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return ln.Addr().(*net.TCPAddr).Port, pc.LocalAddr().(*net.UDPAddr).Port
}

// server runs a tracker process until the test ends, keeping its output
// for failure messages. ready is closed when a line of its output
// contains readyText (or at once when readyText is empty).
type server struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs strings.Builder
	done chan struct{}
}

func startServer(t *testing.T, readyText string, name string, args ...string) *server {
	t.Helper()
	s := &server{cmd: exec.Command(name, args...), done: make(chan struct{})}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stdout, s.cmd.Stderr = pw, pw
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	_ = pw.Close()
	ready := make(chan struct{})
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(pr)
		signalled := false
		for sc.Scan() {
			s.mu.Lock()
			s.logs.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if !signalled && readyText != "" && strings.Contains(sc.Text(), readyText) {
				signalled = true
				close(ready)
			}
		}
		_ = pr.Close()
	}()
	t.Cleanup(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		waited := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-waited
		}
		<-s.done
		if t.Failed() {
			t.Logf("%s output:\n%s", name, s.output())
		}
	})
	if readyText == "" {
		return s
	}
	select {
	case <-ready:
	case <-s.done:
		t.Fatalf("%s exited before it was ready:\n%s", name, s.output())
	case <-time.After(30 * time.Second):
		t.Fatalf("%s not ready after 30 s:\n%s", name, s.output())
	}
	return s
}

func (s *server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// waitTCP waits until something accepts on addr.
func waitTCP(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			_ = c.Close()
			return
		}
	}
	t.Fatalf("nothing listens on %s", addr)
}

func TestBittorrentTracker(t *testing.T) {
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	nodeDir := filepath.Join(root, "bench", "node")
	_, err := os.Stat(filepath.Join(nodeDir, "node_modules", "bittorrent-tracker", "package.json"))
	requireExternal(t, "bittorrent-tracker (scripts/test.sh runs npm ci --ignore-scripts in bench/node)", err)
	_, err = exec.LookPath("node")
	requireExternal(t, "node (Node.js 20, see the README's Quick start)", err)
	tcp, udp := freePorts(t)
	startServer(t, "listening", "node", filepath.Join(nodeDir, "bt-server.mjs"), "--host", "127.0.0.1",
		"--tcp-port", fmt.Sprint(tcp), "--udp-port", fmt.Sprint(udp), "--transports", "ws,http,udp")
	httpURL, udpURL := fmt.Sprintf("http://127.0.0.1:%d/announce", tcp), fmt.Sprintf("udp://127.0.0.1:%d", udp)
	wsURL := fmt.Sprintf("ws://127.0.0.1:%d", tcp)
	rep, code, stderr := runCheck(t, httpURL, udpURL, wsURL)
	if code != 0 {
		t.Errorf("exit %d (warnings only should exit 0); %s", code, stderr)
	}
	wantRows(t, rep.Trackers[0],
		"reach PASS",
		"announce WARN peers-include-requester",
		"scrape WARN scrape-keys-utf8 downloaded-counts-seeders",
		"peers WARN peers-include-requester",
		"scrape-peers WARN scrape-keys-utf8 downloaded-counts-seeders",
		"stopped WARN numwant-zero-ignored",
		"scrape-stopped WARN scrape-keys-utf8")
	wantRows(t, rep.Trackers[1],
		"connect WARN udp-connection-id-is-magic",
		"announce WARN peers-include-requester",
		"scrape WARN downloaded-counts-seeders",
		"peers WARN peers-include-requester",
		"scrape-peers WARN downloaded-counts-seeders",
		"stopped WARN numwant-zero-ignored",
		"scrape-stopped PASS")
	// Over WebSocket: "left": null makes a seeder, "downloaded" is the
	// seeders again; a scrape of two hashes, the interval (120 s), offers
	// and answers and a WebRTC connection are all right.
	wantRows(t, rep.Trackers[2],
		"connect PASS",
		"announce PASS",
		"scrape WARN downloaded-counts-seeders",
		"peers WARN left-null-counts-as-seeder",
		"scrape-peers WARN left-null-counts-as-seeder downloaded-counts-seeders",
		"offer-relay PASS",
		"webrtc PASS",
		"stopped PASS",
		"scrape-stopped PASS")
	for _, r := range rep.Trackers[:2] {
		if d := r.Steps[4].Detail; d != "complete 1, incomplete 1, downloaded 1" {
			t.Errorf("%s scrape-peers: %q", r.URL, d)
		}
		if d := r.Steps[5].Detail; d != "after A: complete 0, incomplete 1 and 1 peer(s); after B: complete 0, incomplete 0" {
			t.Errorf("%s stopped: %q", r.URL, d)
		}
	}
	ws := rep.Trackers[2].Steps
	for i, want := range map[int]string{
		1: "A (seeder): interval 2m0s, complete 1, incomplete 0",
		3: `B (leecher, "left": null): complete 2, incomplete 0`,
		4: "complete 2, incomplete 0, downloaded 2; the second, unknown hash: zeros",
		7: "after A: complete 1, incomplete 0; after B: complete 0, incomplete 0",
	} {
		if ws[i].Detail != want {
			t.Errorf("ws %s: %q, want %q", ws[i].Step, ws[i].Detail, want)
		}
	}
}

func TestOpentracker(t *testing.T) {
	bin, err := exec.LookPath("opentracker")
	requireExternal(t, "opentracker (scripts/test.sh installs it: apt-get install opentracker)", err)
	const listed = "5bd6b2f2ecb5bd0a0c7bd41ce8e6e9e1c2a0b3f4"
	// Debian builds opentracker in whitelist mode; it chroots into -d
	// (when root) before reading the list, so the list lives there.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "whitelist"), []byte(listed+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tcp, udp := freePorts(t)
	args := []string{"-i", "127.0.0.1", "-p", fmt.Sprint(tcp), "-P", fmt.Sprint(udp), "-d", dir, "-w", "whitelist"}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "nobody")
	}
	startServer(t, "", bin, args...)
	waitTCP(t, fmt.Sprintf("127.0.0.1:%d", tcp))
	httpURL, udpURL := fmt.Sprintf("http://127.0.0.1:%d/announce", tcp), fmt.Sprintf("udp://127.0.0.1:%d", udp)

	// A random hash is not on the list.
	rep, code, _ := runCheck(t, httpURL, udpURL)
	if code != 1 {
		t.Errorf("random hash: exit %d, want 1", code)
	}
	for i, open := range []string{"reach", "connect"} {
		wantRows(t, rep.Trackers[i], open+" PASS", "announce FAIL", "scrape SKIP", "peers SKIP", "scrape-peers SKIP", "stopped SKIP", "scrape-stopped SKIP")
	}
	const refusal = "Requested download is not authorized for use with this tracker."
	if a := rep.Trackers[0].Steps[1]; a.Failure != refusal || !strings.Contains(a.Detail, "needs -infohash") {
		t.Errorf("HTTP announce row %+v", a)
	}
	if a := rep.Trackers[1].Steps[1]; !strings.Contains(a.Detail, "bare header") || !strings.Contains(a.Detail, "needs -infohash") {
		t.Errorf("UDP announce row %+v", a)
	}

	// The listed hash works over both.
	rep, code, _ = runCheck(t, "-infohash", listed, httpURL, udpURL)
	if code != 0 {
		t.Errorf("listed hash: exit %d, want 0", code)
	}
	for i, open := range []string{"reach", "connect"} {
		wantRows(t, rep.Trackers[i],
			open+" PASS",
			"announce WARN peers-include-requester",
			"scrape PASS",
			"peers WARN peers-include-requester",
			"scrape-peers PASS",
			"stopped PASS",
			"scrape-stopped PASS")
	}
}
