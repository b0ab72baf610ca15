package server_test

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A reload (what main sends on SIGHUP) swaps the keys file and the
// deny-list in while a WebSocket stays open, and logs a file that fails,
// keeping its previous version.
func TestReloadSwapsAccessListsUnderALiveConnection(t *testing.T) {
	const key = "reload-key-0123456789"
	dir := t.TempDir()
	keys, deny := filepath.Join(dir, "keys"), filepath.Join(dir, "deny")
	ih := bytes.Repeat([]byte{0x42}, 20)
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(keys, key+"\n")
	write(deny, "")
	r := startRun(t, "SWARMBRIDGE_KEYS_FILE="+keys, "SWARMBRIDGE_INFOHASH_DENYLIST="+deny)

	ws := dialWS(t, "ws://"+r.ls.HTTP.Addr().String()+"/announce/"+key, nil)
	peer := []byte("PPPPPPPPPPPPPPPPPPPP")
	ws.announceOK(ih, peer)

	write(deny, hex.EncodeToString(ih)+"\n")
	r.reload <- syscall.SIGHUP
	r.waitLog(t, "SIGHUP: access lists reloaded")
	if !strings.Contains(r.logs.String(), "deny-list: 1 hashes") {
		t.Fatalf("logs: %s", r.logs.String())
	}
	ws.send(wsAnnounce(ih, peer))
	ws.expectFailure("announce", ih, "info_hash not allowed")

	// A broken file: logged, previous list kept, connection still open.
	write(deny, "nonsense\n")
	r.reload <- syscall.SIGHUP
	r.waitLog(t, "SIGHUP: access list not reloaded")
	if !strings.Contains(r.logs.String(), deny) {
		t.Fatalf("the failed reload does not name %s: %s", deny, r.logs.String())
	}
	ws.send(wsAnnounce(ih, peer))
	ws.expectFailure("announce", ih, "info_hash not allowed")
	if r.srv.WebSocketConns() != 1 {
		t.Fatalf("%d WebSocket connections, want the one still open", r.srv.WebSocketConns())
	}

	// Nothing to reload on an open tracker: a reload says nothing about
	// lists. Run has handled the value once the send is received, and has
	// returned before stop does.
	open := startRun(t)
	open.reload <- syscall.SIGHUP
	if err := open.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if logs := open.logs.String(); strings.Contains(logs, "SIGHUP") {
		t.Fatalf("reload of an open tracker logged %s", logs)
	}
}
