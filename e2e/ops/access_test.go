package ops_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
)

// A private tracker with a deny-list: SIGHUP swaps keys and list in while
// WebSockets stay open, and a broken file keeps the previous version.
func TestKeysAndDenyListReloadOnSIGHUP(t *testing.T) {
	const alice, bob = "alice-key-0123456789", "bob-key-0123456789"
	dir := t.TempDir()
	keys, deny := filepath.Join(dir, "keys.txt"), filepath.Join(dir, "deny.txt")
	a, d := strings.Repeat("\x0a", 20), strings.Repeat("\x0d", 20)
	writeFile(t, keys, alice+"\n"+bob+"\n")
	writeFile(t, deny, hex.EncodeToString([]byte(d))+"\n")
	tr := trackerproc.Start(t, trackerBin,
		"SWARMBRIDGE_KEYS_FILE="+keys,
		"SWARMBRIDGE_INFOHASH_DENYLIST="+deny,
		// The Go client must answer pings within 5 s; keep them out of a
		// busy test machine's way (see e2e.startTracker).
		"SWARMBRIDGE_WS_PING_INTERVAL=0",
	)
	ws := "ws://" + tr.HTTPAddr

	aliceWS := dialKeyed(t, ws+"/announce/"+alice)
	bobWS := dialKeyed(t, ws+"/"+bob+"/announce")
	if m := wsRoundTrip(t, aliceWS, wsAnnounceMsg(a, "A")); m["interval"] == nil {
		t.Fatalf("alice: %v", m)
	}
	if m := wsRoundTrip(t, bobWS, wsAnnounceMsg(d, "B")); m["failure reason"] != "info_hash not allowed" {
		t.Fatalf("bob on a denied torrent: %v", m)
	}
	if got := httpAnnounceBody(t, tr, "/announce/"+bob, d); !strings.Contains(got, "info_hash not allowed") {
		t.Fatalf("HTTP on a denied torrent: %q", got)
	}

	// Remove alice, swap the deny-list from d to a, and signal.
	writeFile(t, keys, bob+"\n")
	writeFile(t, deny, hex.EncodeToString([]byte(a))+"\n")
	if err := tr.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, tr, "SIGHUP: access lists reloaded", 1)

	// Both sockets are still open. Alice's key is gone: her next announce
	// is refused. Bob may now use d, and no longer a.
	if m := wsRoundTrip(t, aliceWS, wsAnnounceMsg(a, "A")); m["failure reason"] != "unknown key" || m["info_hash"] != binString(a) {
		t.Fatalf("alice after removal: %v", m)
	}
	if m := wsRoundTrip(t, bobWS, wsAnnounceMsg(a, "B")); m["failure reason"] != "info_hash not allowed" {
		t.Fatalf("bob on a newly denied torrent: %v", m)
	}
	if m := wsRoundTrip(t, bobWS, wsAnnounceMsg(d, "B")); m["interval"] == nil {
		t.Fatalf("bob on a torrent no longer denied: %v", m)
	}
	if got := httpAnnounceBody(t, tr, "/announce/"+bob, d); !strings.HasPrefix(got, "d8:complete") {
		t.Fatalf("HTTP after reload: %q", got)
	}
	if _, resp, err := websocket.Dial(context.Background(), ws+"/announce/"+alice, nil); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("alice could open a new socket: %v %v", resp, err)
	}

	// A broken keys file is logged and bob's key stays valid.
	writeFile(t, keys, bob+"\nthis line is not a key\n")
	if err := tr.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, tr, "SIGHUP: access list not reloaded", 1)
	if !strings.Contains(tr.Logs(), "line 2") {
		t.Fatalf("the error does not name the line:\n%s", tr.Logs())
	}
	if m := wsRoundTrip(t, bobWS, wsAnnounceMsg(d, "B")); m["interval"] == nil {
		t.Fatalf("bob after a broken reload: %v", m)
	}

	resp, err := http.Get("http://" + tr.HTTPAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`swarmbridge_denied_total{reason="key",transport="ws"} 2`, // alice's announce and upgrade
		`swarmbridge_denied_total{reason="info_hash",transport="ws"} 2`,
		`swarmbridge_denied_total{reason="info_hash",transport="http"} 1`,
		`swarmbridge_connections_open{transport="ws"} 2`,
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// waitLog waits until the tracker has logged msg at least n times.
func waitLog(t *testing.T, tr *trackerproc.Tracker, msg string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(tr.Logs(), msg) < n {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the logs within 10s:\n%s", msg, tr.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func dialKeyed(t *testing.T, u string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	return ws
}

// binString is a WebTorrent binary string: one code point per byte.
func binString(s string) string {
	r := make([]rune, len(s))
	for i := range len(s) {
		r[i] = rune(s[i])
	}
	return string(r)
}

func wsAnnounceMsg(ih, peer string) map[string]any {
	return map[string]any{
		"action": "announce", "event": "started", "left": 0,
		"info_hash": binString(ih), "peer_id": binString(strings.Repeat(peer, 20)),
	}
}

func wsRoundTrip(t *testing.T, ws *websocket.Conn, msg any) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
	_, b, err = ws.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("bad JSON %q", b)
	}
	return m
}

func httpAnnounceBody(t *testing.T, tr *trackerproc.Tracker, path, ih string) string {
	t.Helper()
	resp, err := http.Get("http://" + tr.HTTPAddr + path + "?info_hash=" + url.QueryEscape(ih) + "&peer_id=" + strings.Repeat("h", 20) + "&port=6881&left=0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	return string(b)
}
