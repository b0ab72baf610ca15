package check

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/servertest"
)

func TestSwarmbridgePassesEveryStep(t *testing.T) {
	tr := servertest.Start(t, nil, nil)
	httpURL, udpURL := tr.HTTP.URL+"/announce", "udp://"+tr.UDP.String()+"/announce"
	rep, code, stderr := runCheck(t, httpURL, udpURL, tr.WSURL())
	if code != 0 || !rep.OK || len(rep.Trackers) != 3 {
		t.Fatalf("exit %d, report %+v, stderr %s", code, rep, stderr)
	}
	wantRows(t, rep.Trackers[0], allPass("reach")...)
	wantRows(t, rep.Trackers[1], allPass("connect")...)
	wantRows(t, rep.Trackers[2], allPassWS()...)
	peers := rep.Trackers[1].Steps[3]
	if !strings.Contains(peers.Detail, "A at 127.0.0.1:") || !strings.Contains(peers.Detail, "complete 1, incomplete 1") || peers.LatencyMS <= 0 {
		t.Errorf("peers row %+v", peers)
	}
	ws := rep.Trackers[2].Steps
	for i, want := range []string{
		"A and B connected to 127.0.0.1:",
		"A (seeder): interval 2m0s, complete 1, incomplete 0",
		"complete 1, incomplete 0, downloaded 0",
		`B (leecher, "left": null): complete 1, incomplete 1`,
		"complete 1, incomplete 1, downloaded 0; the second, unknown hash: zeros",
		"B got one of A's 2 offers ",
		"data channel open ",
		"after A: complete 0, incomplete 1; after B: complete 0, incomplete 0",
		"complete 0, incomplete 0, downloaded 0",
	} {
		if !strings.Contains(ws[i].Detail, want) {
			t.Errorf("ws %s: %q does not say %q", ws[i].Step, ws[i].Detail, want)
		}
	}
	if d := ws[6].Detail; !strings.Contains(d, "a message passed each way; 127.0.0.1:") || !strings.Contains(d, "(host, udp)") {
		t.Errorf("webrtc row %q: want the loopback candidate pair", d)
	}
	if a, b := rep.Trackers[0].InfoHash, rep.Trackers[1].InfoHash; a == b || len(a) != 40 || a[0] < '8' {
		t.Errorf("info hashes %s and %s: want two random ones, first byte ≥ 0x80", a, b)
	}
}

func TestTableOutput(t *testing.T) {
	tr := servertest.Start(t, nil, nil)
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"udp://" + tr.UDP.String()}, &out, &errOut)
	lines := strings.Split(out.String(), "\n")
	if code != 0 || len(lines) != 11 || !strings.HasPrefix(lines[0], "udp://"+tr.UDP.String()+" (info_hash ") ||
		!strings.HasPrefix(lines[1], "STEP") || !strings.HasPrefix(lines[2], "connect         PASS    ") ||
		!strings.HasPrefix(lines[9], "result: PASS (0 failed, 0 warned, ") {
		t.Fatalf("exit %d, table:\n%s\n%s", code, out.String(), errOut.String())
	}
}

// Whitelist mode: a random hash is refused with the tracker's text and a
// hint; the hash the tracker lists passes.
func TestAllowlistNeedsInfohash(t *testing.T) {
	const listed = "dd8255ecdc7ca55fb0bbf81323d87062db1f6d1c"
	list := filepath.Join(t.TempDir(), "allow.txt")
	if err := os.WriteFile(list, []byte(listed+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tr := servertest.Start(t, []string{"SWARMBRIDGE_INFOHASH_ALLOWLIST=" + list}, nil)
	urls := []string{tr.HTTP.URL + "/announce", "udp://" + tr.UDP.String()}
	rep, code, _ := runCheck(t, urls...)
	if code != 1 || rep.OK {
		t.Fatalf("exit %d, want 1", code)
	}
	for i, open := range []string{"reach", "connect"} {
		r := rep.Trackers[i]
		wantRows(t, r, open+" PASS", "announce FAIL", "scrape SKIP", "peers SKIP", "scrape-peers SKIP", "stopped SKIP", "scrape-stopped SKIP")
		if a := r.Steps[1]; a.Failure != "info_hash not allowed" || !strings.Contains(a.Detail, `the tracker refused: "info_hash not allowed" (a tracker that only tracks listed torrents needs -infohash`) {
			t.Errorf("announce row %+v", a)
		}
		if s := r.Steps[2]; s.Detail != "not run: announce did not pass" {
			t.Errorf("scrape row %+v", s)
		}
	}
	rep, code, _ = runCheck(t, append([]string{"-infohash", listed}, urls...)...)
	if code != 0 || rep.Trackers[0].InfoHash != listed {
		t.Fatalf("with -infohash: exit %d, %+v", code, rep)
	}
	wantRows(t, rep.Trackers[0], allPass("reach")...)
	wantRows(t, rep.Trackers[1], allPass("connect")...)
}

// An announce URL without a BEP 48 scrape URL skips the scrapes, and says
// why; the rest passes.
func TestNoScrapeURLSkipsScrapes(t *testing.T) {
	tr := servertest.Start(t, nil, nil)
	rep, code, _ := runCheck(t, tr.HTTP.URL+"/announce/k3y")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	r := rep.Trackers[0]
	wantRows(t, r, "reach PASS", "announce PASS", "scrape SKIP", "peers PASS", "scrape-peers SKIP", "stopped PASS", "scrape-stopped SKIP")
	if !strings.Contains(r.Steps[2].Detail, `the last path segment "k3y" does not start with "announce" (BEP 48)`) {
		t.Errorf("scrape row %+v", r.Steps[2])
	}
}

func TestUnreachableTrackers(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	udpAddr := pc.LocalAddr().String()
	_ = pc.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcpAddr := ln.Addr().String()
	_ = ln.Close()
	rep, code, _ := runCheck(t, "udp://"+udpAddr, "http://"+tcpAddr+"/announce", "ws://"+tcpAddr)
	if code != 1 || len(rep.Trackers) != 3 {
		t.Fatalf("exit %d, %+v", code, rep)
	}
	for i, open := range []string{"connect", "reach"} {
		r := rep.Trackers[i]
		wantRows(t, r, open+" FAIL", "announce SKIP", "scrape SKIP", "peers SKIP", "scrape-peers SKIP", "stopped SKIP", "scrape-stopped SKIP")
		if !strings.Contains(r.Steps[0].Detail, "refused") {
			t.Errorf("%s: %q does not say refused", open, r.Steps[0].Detail)
		}
	}
	wantRows(t, rep.Trackers[2], "connect FAIL", "announce SKIP", "scrape SKIP", "peers SKIP", "scrape-peers SKIP",
		"offer-relay SKIP", "webrtc SKIP", "stopped SKIP", "scrape-stopped SKIP")
	if d := rep.Trackers[2].Steps[0].Detail; !strings.Contains(d, "refused") {
		t.Errorf("ws: %q does not say refused", d)
	}
}

// A tracker that answers HTTP announces but not with bencode fails the
// announce with what it sent.
func TestGarbageTracker(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<html>parking page</html>"))
	}))
	defer ts.Close()
	rep, code, _ := runCheck(t, ts.URL+"/announce")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	wantRows(t, rep.Trackers[0], "reach PASS", "announce FAIL", "scrape SKIP", "peers SKIP", "scrape-peers SKIP", "stopped SKIP", "scrape-stopped SKIP")
	if d := rep.Trackers[0].Steps[1].Detail; !strings.Contains(d, "malformed tracker reply: bencode at byte 0: unexpected byte '<'") {
		t.Errorf("announce detail %q", d)
	}
}

// fakeTracker is a minimal HTTP tracker that keeps one swarm right but
// leaves "interval" out of its replies (quirk no-interval) and lists the
// other peers whatever numwant says (numwant-zero-ignored).
func fakeTracker(t *testing.T) string {
	var mu sync.Mutex
	swarm := map[uint16]bool{} // port → seeder
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		q := r.URL.Query()
		port64, _ := strconv.ParseUint(q.Get("port"), 10, 16)
		port := uint16(port64)
		if q.Get("event") == "stopped" {
			delete(swarm, port)
		} else {
			swarm[port] = q.Get("left") == "0"
		}
		var peers []byte
		seeders := 0
		for p, seeder := range swarm {
			if seeder {
				seeders++
			}
			if p != port {
				peers = append(peers, 127, 0, 0, 1, byte(p>>8), byte(p))
			}
		}
		fmt.Fprintf(w, "d8:completei%de10:incompletei%de5:peers%d:%se", seeders, len(swarm)-seeders, len(peers), peers)
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/tracker" // no scrape URL
}

// -strict turns warnings into a failed run.
func TestStrict(t *testing.T) {
	url := fakeTracker(t)
	for _, tc := range []struct {
		args []string
		code int
	}{{nil, 0}, {[]string{"-strict"}, 1}} {
		rep, code, _ := runCheck(t, append(tc.args, url)...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d", tc.args, code, tc.code)
		}
		wantRows(t, rep.Trackers[0], "reach PASS", "announce WARN no-interval", "scrape SKIP", "peers WARN no-interval",
			"scrape-peers SKIP", "stopped WARN numwant-zero-ignored no-interval", "scrape-stopped SKIP")
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no tracker URL given"},
		{[]string{"-infohash", "abc", "udp://x:1"}, `-infohash "abc": want 40 hex digits`},
		{[]string{"ftp://x/announce"}, `want http://, https://, udp://, ws:// or wss://`},
		{[]string{"-ca", "x.pem", "-insecure", "wss://x"}, "-ca and -insecure: give one of them"},
		{[]string{"-ca", "/nonexistent.pem", "wss://x"}, "-ca: open /nonexistent.pem"},
		{[]string{"-ca", "check_test.go", "wss://x"}, "-ca check_test.go: no PEM certificate in it"},
		{[]string{"ws:///announce"}, "has no host"},
		{[]string{"udp://x"}, "udp:// needs a port"},
		{[]string{"http:///announce"}, "has no host"},
		{[]string{"-metrics-addr", ":1", "udp://x:1"}, "-metrics-addr needs -watch"},
		{[]string{"-timeout", "0s", "udp://x:1"}, "-timeout 0s: want a positive duration"},
		{[]string{"-nope"}, "flag provided but not defined: -nope"},
	} {
		var out, errOut bytes.Buffer
		if code := Main(context.Background(), tc.args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tc.args, code, errOut.String(), tc.want)
		}
	}
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"-h"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "-infohash <40 hex digits>") {
		t.Errorf("-h: exit %d, %q", code, errOut.String())
	}
}

// Interrupting a run stops it, and stops the peer it had announced so
// it does not linger in the tracker's swarm.
func TestInterruptedRunStopsItsPeers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan string, 10)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/scrape") {
			cancel() // the user presses ^C during the first scrape
			<-r.Context().Done()
			return
		}
		events <- r.URL.Query().Get("event")
		_, _ = w.Write([]byte("d8:completei1e10:incompletei0e8:intervali60e5:peers0:e"))
	}))
	defer ts.Close()
	r := (&Checker{Timeout: 3 * time.Second}).Check(ctx, ts.URL+"/announce")
	wantRows(t, r, "reach PASS", "announce PASS", "scrape FAIL", "peers FAIL", "scrape-peers SKIP", "stopped FAIL", "scrape-stopped SKIP")
	close(events)
	var got []string
	for e := range events {
		got = append(got, e)
	}
	if strings.Join(got, ",") != "started,stopped" {
		t.Fatalf("events %v, want A started then stopped by the clean-up", got)
	}
}
