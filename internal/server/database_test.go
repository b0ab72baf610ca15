package server_test

import (
	"encoding/binary"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/admin"
	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/server"
	"github.com/swarmbridge/swarmbridge/internal/swarm/memory"
	"github.com/swarmbridge/swarmbridge/internal/swarm/swarmtest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/dbtest"
)

// The tracker with a database, from the outside: the management API on
// its own listener, keys and the info hash list it manages in force on
// every transport at once, and download counts that outlive the process.
// Every test runs on SQLite and on PostgreSQL.

func peerID(c byte) []byte { return []byte("-qB4500-" + strings.Repeat(string(c), 12)) }

// apiRequest sends one request to the API with the given Authorization
// header value ("" for none) and returns the status and body.
func apiRequest(t *testing.T, method, url, auth, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAdminListenerTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		tr := startDBTracker(t, url, nil)
		keys := tr.admin + "/admin/keys"
		for _, tc := range []struct {
			name, auth string
			want       int
		}{
			{"no token", "", http.StatusUnauthorized},
			{"wrong token", "Bearer not-the-token-at-all-0000", http.StatusUnauthorized},
			{"token as basic auth", "Basic " + testToken, http.StatusUnauthorized},
			{"good token", "Bearer " + testToken, http.StatusOK},
		} {
			if code, body := apiRequest(t, "GET", keys, tc.auth, "", ""); code != tc.want {
				t.Errorf("%s: %d %s, want %d", tc.name, code, body, tc.want)
			}
		}
		// The OpenAPI document is public; the API is not on the public port.
		if code, body := apiRequest(t, "GET", tr.admin+"/admin/openapi.json", "", "", ""); code != http.StatusOK || !strings.Contains(body, `"openapi"`) {
			t.Errorf("openapi.json: %d %.80s", code, body)
		}
		if code, _ := apiRequest(t, "GET", tr.base+"/admin/keys", "Bearer "+testToken, "", ""); code != http.StatusNotFound {
			t.Errorf("the public port answers /admin/keys with %d, want 404", code)
		}
		// One smoke test of bodies through the real listener (internal/admin
		// covers every form).
		auth := "Bearer " + testToken
		if code, body := apiRequest(t, "POST", keys, auth, "application/json", `{"ttl":`); code != http.StatusBadRequest {
			t.Errorf("bad JSON: %d %s", code, body)
		}
		if code, body := apiRequest(t, "POST", keys, auth, "application/json", `{"ttl":"1d","owner":"x"}`); code != http.StatusBadRequest || !strings.Contains(body, "owner") {
			t.Errorf("unknown field: %d %s", code, body)
		}
		big := `{"note":"` + strings.Repeat("x", 2<<20) + `"}`
		if code, body := apiRequest(t, "POST", keys, auth, "application/json", big); code != http.StatusRequestEntityTooLarge {
			t.Errorf("oversized body: %d %.200s", code, body)
		}
		if strings.Contains(tr.logs.String(), testToken) {
			t.Error("the token appears in the logs")
		}
		if !strings.Contains(tr.logs.String(), `"route":"/admin/keys","status":401`) {
			t.Errorf("refusals are not logged:\n%s", tr.logs.String())
		}
	})
}

// A key created through the API works on the next announce over HTTP,
// UDP (BEP 41 URL data) and WebSocket; deleting it refuses the next
// announce on each, the WebSocket opened with it included.
func TestKeyFromTheAPIOnEveryTransport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		tr := startDBTracker(t, url, nil, "SWARMBRIDGE_PRIVATE=true")
		ih := hash20(0x11)
		const key = "alice-key-0123456789"
		if d := httpAnnounce(t, tr.base, "/"+key+"/announce", ih, peerID('a'), "6881", nil); d["failure reason"] != "unknown key" {
			t.Fatalf("before the key exists: %v", d)
		}
		k, err := tr.api.CreateKey(t.Context(), admin.CreateKeyRequest{Key: key, Note: "alice"})
		if err != nil || k.Key != key {
			t.Fatalf("create key: %v %v", k, err)
		}
		if d := httpAnnounce(t, tr.base, "/"+key+"/announce", ih, peerID('a'), "6881", nil); d["failure reason"] != nil {
			t.Fatalf("HTTP announce with the new key: %v", d)
		}
		u := dialUDP(t, tr.udp)
		cid := u.connect()
		if msg, seeders := u.announce(cid, ih, peerID('b'), 6882, "/announce/"+key); msg != "" || seeders != 2 {
			t.Fatalf("UDP announce with the new key: %q, %d seeders", msg, seeders)
		}
		ws := dialWS(t, tr.wsURL("/announce/"+key), nil)
		ws.announceOK(ih, peerID('c'))

		if err := tr.api.DeleteKey(t.Context(), key); err != nil {
			t.Fatal(err)
		}
		if d := httpAnnounce(t, tr.base, "/"+key+"/announce", ih, peerID('a'), "6881", nil); d["failure reason"] != "unknown key" {
			t.Fatalf("HTTP announce after the key was deleted: %v", d)
		}
		if msg, _ := u.announce(cid, ih, peerID('b'), 6882, "/announce/"+key); msg != "unknown key" {
			t.Fatalf("UDP announce after the key was deleted: %q", msg)
		}
		ws.send(wsAnnounce(ih, peerID('c')))
		ws.expectFailure("announce", ih, "unknown key")
		if reason := refuseWS(t, tr.wsURL("/announce/"+key), nil, http.StatusForbidden); reason != "unknown key" {
			t.Fatalf("reconnecting with the deleted key: %q", reason)
		}
	})
}

// A key with a time to live stops working when it expires, on the
// tracker's clock, with no reload and nothing written.
func TestKeyExpires(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		clock := swarmtest.NewClock(time.Now())
		tr := startDBTracker(t, url, clock, "SWARMBRIDGE_PRIVATE=true")
		k, err := tr.api.CreateKey(t.Context(), admin.CreateKeyRequest{TTL: "30d"})
		if err != nil {
			t.Fatal(err)
		}
		if k.ExpiresAt == nil || k.ExpiresAt.Sub(clock.Now()) < 30*24*time.Hour-time.Second {
			t.Fatalf("expiry %v for a 30d key created at %v", k.ExpiresAt, clock.Now())
		}
		ih := hash20(0x12)
		u := dialUDP(t, tr.udp)
		cid := u.connect()
		if d := httpAnnounce(t, tr.base, "/"+k.Key+"/announce", ih, peerID('a'), "6881", nil); d["failure reason"] != nil {
			t.Fatalf("fresh key: %v", d)
		}
		clock.Advance(30*24*time.Hour - time.Minute)
		if msg, _ := u.announce(cid, ih, peerID('b'), 6882, "/announce/"+k.Key); msg != "" {
			t.Fatalf("a minute before expiry: %q", msg)
		}
		clock.Advance(2 * time.Minute)
		if d := httpAnnounce(t, tr.base, "/"+k.Key+"/announce", ih, peerID('a'), "6881", nil); d["failure reason"] != "unknown key" {
			t.Fatalf("after expiry: %v", d)
		}
		cid = u.connect() // the connection id's own life is real time
		if msg, _ := u.announce(cid, ih, peerID('b'), 6882, "/announce/"+k.Key); msg != "unknown key" {
			t.Fatalf("UDP after expiry: %q", msg)
		}
		if got, err := tr.api.Key(t.Context(), k.Key); err != nil || !got.Expired {
			t.Fatalf("the API shows %+v, %v; want expired", got, err)
		}
	})
}

func TestAllowListFromTheAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		tr := startDBTracker(t, url, nil, "SWARMBRIDGE_INFOHASH_MODE=allow")
		ih := hash20(0x13)
		if d := httpAnnounce(t, tr.base, "/announce", ih, peerID('a'), "6881", nil); d["failure reason"] != "info_hash not allowed" {
			t.Fatalf("before listing: %v", d)
		}
		if r, err := tr.api.AddInfoHashes(t.Context(), []string{hexOf(ih)}, "big buck bunny"); err != nil || r.Added != 1 {
			t.Fatalf("add: %+v %v", r, err)
		}
		if d := httpAnnounce(t, tr.base, "/announce", ih, peerID('a'), "6881", nil); d["failure reason"] != nil {
			t.Fatalf("after listing: %v", d)
		}
		ws := dialWS(t, tr.wsURL("/announce"), nil)
		ws.announceOK(ih, peerID('c'))
		if err := tr.api.RemoveInfoHash(t.Context(), hexOf(ih)); err != nil {
			t.Fatal(err)
		}
		ws.send(wsAnnounce(ih, peerID('c')))
		ws.expectFailure("announce", ih, "info_hash not allowed")
		u := dialUDP(t, tr.udp)
		if msg, _ := u.announce(u.connect(), ih, peerID('b'), 6882, ""); msg != "info_hash not allowed" {
			t.Fatalf("UDP after removal: %q", msg)
		}
	})
}

// udpDownloaded scrapes ih over UDP and returns its downloaded count.
func udpDownloaded(u *udpClient, ih []byte) uint32 {
	u.t.Helper()
	r := u.roundTrip(udpScrapePacket(u.connect(), ih))
	if len(r) != 20 || binary.BigEndian.Uint32(r) != 2 {
		u.t.Fatalf("scrape reply %x", r)
	}
	return binary.BigEndian.Uint32(r[12:])
}

func httpDownloaded(t *testing.T, base string, ih []byte) int64 {
	t.Helper()
	d := httpScrape(t, base, "/scrape", ih)
	f, ok := d["files"].(map[string]any)[string(ih)].(map[string]any)
	if !ok {
		t.Fatalf("scrape: %v", d)
	}
	return f["downloaded"].(int64)
}

// completed announces peer as having completed ih over HTTP and returns
// the reply's downloaded count.
func completed(t *testing.T, base string, ih, peer []byte, port string) int64 {
	t.Helper()
	d := httpGetBencode(t, base+"/announce?info_hash="+queryEscape(ih)+"&peer_id="+queryEscape(peer)+"&port="+port+"&left=0&event=completed", nil)
	n, ok := d["downloaded"].(int64)
	if !ok {
		t.Fatalf("announce reply without downloaded: %v", d)
	}
	return n
}

// Downloads counted on every transport are stored and reported after a
// restart, by scrapes and announce replies, without counting any twice.
func TestDownloadedSurvivesARestart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ih := hash20(0x14)
		tr := startDBTracker(t, url, nil)
		if n := completed(t, tr.base, ih, peerID('a'), "6881"); n != 1 {
			t.Fatalf("first download: announce says %d", n)
		}
		if n := completed(t, tr.base, ih, peerID('a'), "6881"); n != 1 {
			t.Fatalf("the same peer completing again: %d", n)
		}
		ws := dialWS(t, tr.wsURL("/announce"), nil)
		m := wsAnnounce(ih, peerID('w'))
		m["event"] = "completed"
		ws.send(m)
		if r := ws.next(); r["failure reason"] != nil {
			t.Fatalf("WebSocket completed: %v", r)
		}
		u := dialUDP(t, tr.udp)
		if n := udpDownloaded(u, ih); n != 2 {
			t.Fatalf("UDP scrape: %d downloads, want 2", n)
		}
		ws.ws.CloseNow()
		if err := tr.stop(); err != nil {
			t.Fatal(err)
		}

		tr = startDBTracker(t, url, nil)
		if n := httpDownloaded(t, tr.base, ih); n != 2 {
			t.Fatalf("after a restart, HTTP scrape says %d downloads, want 2", n)
		}
		if n := udpDownloaded(dialUDP(t, tr.udp), ih); n != 2 {
			t.Fatalf("after a restart, UDP scrape says %d", n)
		}
		if n := completed(t, tr.base, ih, peerID('b'), "6882"); n != 3 {
			t.Fatalf("a third download after the restart: announce says %d, want 3", n)
		}
		st, err := tr.api.Torrent(t.Context(), hexOf(ih))
		if err != nil || st.Downloaded != 3 || st.Seeders != 1 || st.FirstSeen == nil || st.PeersByKind["native"] != 1 {
			t.Fatalf("the API's torrent: %+v, %v", st, err)
		}
		if err := tr.stop(); err != nil {
			t.Fatal(err)
		}
		tr = startDBTracker(t, url, nil)
		if n := httpDownloaded(t, tr.base, ih); n != 3 {
			t.Fatalf("after the second restart: %d, want 3", n)
		}
	})
}

func TestAdminReloadAndStats(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		tr := startDBTracker(t, url, nil, "SWARMBRIDGE_PRIVATE=true", "SWARMBRIDGE_INFOHASH_MODE=deny")
		summary, err := tr.api.Reload(t.Context())
		if err != nil || !strings.Contains(summary, "deny-list: 0 hashes") || !strings.Contains(summary, "private: 0 keys") {
			t.Fatalf("reload: %q, %v", summary, err)
		}
		k, err := tr.api.CreateKey(t.Context(), admin.CreateKeyRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			httpAnnounce(t, tr.base, "/"+k.Key+"/announce", hash20(0x30), peerID(byte('a'+i)), "688"+string(rune('1'+i)), nil)
		}
		httpAnnounce(t, tr.base, "/"+k.Key+"/announce", hash20(0x31), peerID('z'), "6881", nil)
		top, err := tr.api.Busiest(t.Context(), 10)
		if err != nil || len(top) != 2 || top[0].InfoHash != hexOf(hash20(0x30)) || top[0].Seeders != 3 || top[1].Seeders != 1 {
			t.Fatalf("busiest: %+v, %v", top, err)
		}
		if _, err := tr.api.Torrent(t.Context(), hexOf(hash20(0x32))); err == nil {
			t.Fatal("a torrent nobody announced was found")
		}
	})
}

// ADMIN_ADDR set to HTTP_ADDR on purpose serves the API under /admin/ on
// the public port, still behind the token.
func TestAdminOnThePublicPort(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		// servertest serves on a port of its own; the addresses only have
		// to be equal.
		h := startTracker(t, []string{"SWARMBRIDGE_DATABASE_URL=" + url, "SWARMBRIDGE_HTTP_ADDR=127.0.0.1:18000",
			"SWARMBRIDGE_ADMIN_ADDR=127.0.0.1:18000", "SWARMBRIDGE_ADMIN_TOKEN_FILE=" + tokenFile(t)}, nil)
		if code, _ := apiRequest(t, "GET", h.ts.URL+"/admin/keys", "", "", ""); code != http.StatusUnauthorized {
			t.Fatalf("without a token: %d", code)
		}
		if code, body := apiRequest(t, "GET", h.ts.URL+"/admin/keys", "Bearer "+testToken, "", ""); code != http.StatusOK {
			t.Fatalf("with the token: %d %s", code, body)
		}
	})
}

func queryEscape(b []byte) string { return neturl.QueryEscape(string(b)) }

// A configuration with a database but no database given to New is
// refused rather than run as an open tracker.
func TestDatabaseURLWithoutADatabaseIsRefused(t *testing.T) {
	cfg, err := config.Load([]string{"SWARMBRIDGE_DATABASE_URL=sqlite:///nonexistent/x.db", "SWARMBRIDGE_PRIVATE=true"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.New(server.Options{Config: cfg, Store: memory.New(memory.Options{})}); err == nil || !strings.Contains(err.Error(), "no database was opened") {
		t.Fatalf("New: %v", err)
	}
}
