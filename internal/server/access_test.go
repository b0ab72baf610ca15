package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/server"
	"github.com/swarmbridge/swarmbridge/internal/swarm/memory"
)

// Each access rule, configured by its variable and tried from the outside
// on every transport, then changed by a reload under live connections.

func TestOriginAllowList(t *testing.T) {
	h := startTracker(t, []string{"SWARMBRIDGE_ALLOWED_ORIGINS=https://app.example.com, *.friends.test"}, nil)
	u := h.wsURL("/")
	origin := func(o string) http.Header { return http.Header{"Origin": {o}} }
	if why := refuseWS(t, u, origin("https://evil.test"), http.StatusForbidden); why != "origin not allowed" {
		t.Fatalf("403 body %q", why)
	}
	refuseWS(t, u, origin("http://app.example.com"), http.StatusForbidden)
	dialWS(t, u, origin("https://app.example.com")).announceOK(hash20(1), hash20(2))
	dialWS(t, u, origin("https://a.friends.test")).announceOK(hash20(1), hash20(3))
	// Programs send no Origin; they are let through.
	dialWS(t, u, nil).announceOK(hash20(1), hash20(4))
	h.wantMetric(`swarmbridge_denied_total{reason="origin",transport="ws"}`, 2)
}

func TestInfoHashAllowListOnEveryTransport(t *testing.T) {
	allowed, other := hash20(0xa1), hash20(0xb2)
	list := writeList(t, "allow.txt", "# the only torrent here\n"+hexOf(allowed)+"\n")
	h := startTracker(t, []string{"SWARMBRIDGE_INFOHASH_ALLOWLIST=" + list}, nil)

	ws := dialWS(t, h.wsURL("/"), nil)
	ws.send(wsAnnounce(other, hash20(1)))
	ws.expectFailure("announce", other, "info_hash not allowed")
	ws.announceOK(allowed, hash20(1))

	if d := httpAnnounce(t, h.ts.URL, "/announce", other, hash20(2), "7001", nil); d["failure reason"] != "info_hash not allowed" {
		t.Fatalf("HTTP: %v", d)
	}
	if d := httpAnnounce(t, h.ts.URL, "/announce", allowed, hash20(2), "7001", nil); d["failure reason"] != nil {
		t.Fatalf("HTTP: %v", d)
	}

	u := dialUDP(t, h.udp)
	cid := u.connect()
	if msg, _ := u.announce(cid, other, hash20(3), 7002, ""); msg != "info_hash not allowed" {
		t.Fatalf("UDP: %q", msg)
	}
	if msg, seeders := u.announce(cid, allowed, hash20(3), 7002, ""); msg != "" || seeders != 3 {
		t.Fatalf("UDP: %q %d", msg, seeders)
	}
	// Unauthenticated packets still get nothing, refused hash or not.
	bogus := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	u.send(udpAnnouncePacket(bogus, other, hash20(3), 7002, ""))
	h.waitMetric(`swarmbridge_udp_dropped_total{reason="bad_connection_id"}`, 1)
	u.noReply()

	for _, tr := range []string{"ws", "http", "udp"} {
		h.wantMetric(`swarmbridge_denied_total{reason="info_hash",transport="`+tr+`"}`, 1)
	}
}

func TestInfoHashDenyListAndItsReloadUnderLiveConnections(t *testing.T) {
	denied, popular := hash20(0xd1), hash20(0xe2)
	list := writeList(t, "deny.txt", hexOf(denied)+"\n")
	h := startTracker(t, []string{"SWARMBRIDGE_INFOHASH_DENYLIST=" + list}, nil)

	// popular gets a peer on every transport; denied gets none.
	a := dialWS(t, h.wsURL("/"), nil)
	b := dialWS(t, h.wsURL("/"), nil)
	a.send(wsAnnounce(denied, hash20(1)))
	a.expectFailure("announce", denied, "info_hash not allowed")
	a.announceOK(popular, hash20(1))
	if d := httpAnnounce(t, h.ts.URL, "/announce", denied, hash20(2), "7001", nil); d["failure reason"] != "info_hash not allowed" {
		t.Fatalf("HTTP: %v", d)
	}
	httpAnnounce(t, h.ts.URL, "/announce", popular, hash20(2), "7001", nil)
	u := dialUDP(t, h.udp)
	cid := u.connect()
	if msg, _ := u.announce(cid, denied, hash20(3), 7002, ""); msg != "info_hash not allowed" {
		t.Fatalf("UDP: %q", msg)
	}
	if _, seeders := u.announce(cid, popular, hash20(3), 7002, ""); seeders != 3 {
		t.Fatalf("UDP sees %d seeders, want 3", seeders)
	}

	// b offers to a on popular; the offer arrives.
	b.send(wsAnnounce(popular, hash20(4), bin(hash20(0x0f))))
	if m := b.next(); m["failure reason"] != nil {
		t.Fatalf("b: %v", m)
	}
	if m := a.next(); m["offer_id"] != bin(hash20(0x0f)) {
		t.Fatalf("a: want the offer, got %v", m)
	}

	// Now deny popular too and reload, with every connection open.
	rewrite(t, list, hexOf(denied)+"\n"+hexOf(popular)+"\n")
	if err := h.srv.ReloadAccess(); err != nil {
		t.Fatal(err)
	}
	// a's answer to the offer is refused: answers are checked like announces.
	a.send(map[string]any{
		"action": "announce", "info_hash": bin(popular), "peer_id": bin(hash20(1)),
		"to_peer_id": bin(hash20(4)), "offer_id": bin(hash20(0x0f)),
		"answer": map[string]any{"type": "answer", "sdp": "v=0"},
	})
	a.expectFailure("announce", popular, "info_hash not allowed")
	a.send(wsAnnounce(popular, hash20(1)))
	a.expectFailure("announce", popular, "info_hash not allowed")
	// Scrapes report zeros on every transport, though peers are still there.
	if c, i := a.scrape(popular); c != 0 || i != 0 {
		t.Fatalf("WS scrape %v %v", c, i)
	}
	if c, i := scrapeCounts(t, httpScrape(t, h.ts.URL, "/scrape", popular), popular); c != 0 || i != 0 {
		t.Fatalf("HTTP scrape %d %d", c, i)
	}
	if s := u.scrape(cid, popular, denied); s[0] != 0 || s[1] != 0 {
		t.Fatalf("UDP scrape %v", s)
	}
	if msg, _ := u.announce(cid, popular, hash20(3), 7002, ""); msg != "info_hash not allowed" {
		t.Fatalf("UDP: %q", msg)
	}

	// A list that fails to parse keeps the previous one: popular stays
	// denied, and the error names the file and the line.
	rewrite(t, list, hexOf(denied)+"\nnot-a-hash\n")
	err := h.srv.ReloadAccess()
	if err == nil || !strings.Contains(err.Error(), list) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("reload error %v", err)
	}
	if d := httpAnnounce(t, h.ts.URL, "/announce", popular, hash20(2), "7001", nil); d["failure reason"] != "info_hash not allowed" {
		t.Fatalf("after a failed reload: %v", d)
	}

	// Lifting the ban works without reconnecting.
	rewrite(t, list, "")
	if err := h.srv.ReloadAccess(); err != nil {
		t.Fatal(err)
	}
	a.announceOK(popular, hash20(1))
	h.wantMetric(`swarmbridge_denied_total{reason="info_hash",transport="ws"}`, 3)
	h.wantMetric(`swarmbridge_denied_total{reason="info_hash",transport="http"}`, 2)
	h.wantMetric(`swarmbridge_denied_total{reason="info_hash",transport="udp"}`, 2)
	h.wantMetric(`swarmbridge_connections_open{transport="ws"}`, 2)
}

func TestPrivateModeOnEveryTransport(t *testing.T) {
	const alice, bob = "alice-key-0123456789", "bob-key-0123456789"
	keys := writeList(t, "keys.txt", "# users\n"+alice+"\n"+bob+"\n")
	h := startTracker(t, []string{"SWARMBRIDGE_KEYS_FILE=" + keys}, nil)
	ih := hash20(0x5a)

	// HTTP: the key goes in the path, either side of "announce".
	for path, want := range map[string]any{
		"/announce":                nil, // replaced below
		"/announce/nobody-0123456": "unknown key",
		"/announce/" + alice:       nil,
		"/" + bob + "/announce":    nil,
	} {
		if path == "/announce" {
			want = "private tracker: the announce URL must contain your key"
		}
		if d := httpAnnounce(t, h.ts.URL, path, ih, hash20(1), "7001", nil); d["failure reason"] != want {
			t.Errorf("HTTP %s: %v, want failure %v", path, d, want)
		}
	}
	if c, _ := scrapeCounts(t, httpScrape(t, h.ts.URL, "/scrape/"+alice, ih), ih); c != 1 {
		t.Fatalf("keyed scrape: %d seeders", c)
	}
	if c, _ := scrapeCounts(t, httpScrape(t, h.ts.URL, "/"+alice+"/scrape", ih), ih); c != 1 {
		t.Fatalf("BEP 48 scrape: %d seeders", c)
	}
	if d := httpScrape(t, h.ts.URL, "/scrape", ih); d["failure reason"] == nil {
		t.Fatalf("scrape without key: %v", d)
	}

	// WebSocket: checked at the upgrade.
	for path, want := range map[string]string{
		"/":                        "private tracker: the announce URL must contain your key",
		"/announce":                "private tracker: the announce URL must contain your key",
		"/announce/nobody-0123456": "unknown key",
	} {
		if why := refuseWS(t, h.wsURL(path), nil, http.StatusForbidden); why != want {
			t.Errorf("WS %s: %q, want %q", path, why, want)
		}
	}
	wsAlice := dialWS(t, h.wsURL("/announce/"+alice), nil)
	wsAlice.announceOK(ih, hash20(2))
	wsBob := dialWS(t, h.wsURL("/"+bob+"/announce"), nil)
	wsBob.announceOK(ih, hash20(3))

	// UDP: the key comes as BEP 41 URLData; errors only with a valid id.
	// (The HTTP entries of alice and bob share one address and port, so
	// the swarm has 1 HTTP, 2 WebSocket and now 1 UDP seeder.)
	u := dialUDP(t, h.udp)
	cid := u.connect()
	if msg, _ := u.announce(cid, ih, hash20(4), 7002, ""); msg != "private tracker: the announce URL must contain your key" {
		t.Fatalf("UDP without URLData: %q", msg)
	}
	if msg, _ := u.announce(cid, ih, hash20(4), 7002, "/announce/nobody-0123456"); msg != "unknown key" {
		t.Fatalf("UDP with an unknown key: %q", msg)
	}
	if msg, seeders := u.announce(cid, ih, hash20(4), 7002, "/announce/"+alice+"?x=1"); msg != "" || seeders != 4 {
		t.Fatalf("UDP with a key: %q %d", msg, seeders)
	}
	// A UDP scrape carries no key: a private tracker reports zeros.
	if s := u.scrape(cid, ih); s[0] != 0 {
		t.Fatalf("UDP scrape: %v", s)
	}

	// Remove alice, with her WebSocket open. The socket stays, but her
	// next announce is refused; bob goes on.
	rewrite(t, keys, bob+"\n")
	if err := h.srv.ReloadAccess(); err != nil {
		t.Fatal(err)
	}
	wsAlice.send(wsAnnounce(ih, hash20(2)))
	wsAlice.expectFailure("announce", ih, "unknown key")
	wsBob.announceOK(ih, hash20(3))
	refuseWS(t, h.wsURL("/announce/"+alice), nil, http.StatusForbidden)
	if d := httpAnnounce(t, h.ts.URL, "/announce/"+alice, ih, hash20(1), "7001", nil); d["failure reason"] != "unknown key" {
		t.Fatalf("HTTP after removal: %v", d)
	}
	if msg, _ := u.announce(cid, ih, hash20(4), 7002, "/announce/"+alice); msg != "unknown key" {
		t.Fatalf("UDP after removal: %q", msg)
	}

	// A broken keys file keeps the previous keys.
	rewrite(t, keys, bob+"\nbad key with spaces\n")
	if err := h.srv.ReloadAccess(); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("reload error %v", err)
	}
	wsBob.announceOK(ih, hash20(3))

	// HTTP: no key, unknown key, scrape without key, alice after removal.
	h.wantMetric(`swarmbridge_denied_total{reason="key",transport="http"}`, 4)
	// WS: three refused upgrades, alice's announce and upgrade after removal.
	h.wantMetric(`swarmbridge_denied_total{reason="key",transport="ws"}`, 5)
	h.wantMetric(`swarmbridge_denied_total{reason="key",transport="udp"}`, 3)
	h.wantMetric(`swarmbridge_connections_open{transport="ws"}`, 2)
}

// A list file that cannot be read or parsed stops start-up with a message
// naming the variable, the file and the line.
func TestBadListFilesStopStartUp(t *testing.T) {
	bad := writeList(t, "bad.txt", hexOf(hash20(1))+"\nxyz\n")
	for _, tc := range []struct{ env, want string }{
		{"SWARMBRIDGE_KEYS_FILE=" + bad, "SWARMBRIDGE_KEYS_FILE"},
		{"SWARMBRIDGE_INFOHASH_ALLOWLIST=" + bad, "SWARMBRIDGE_INFOHASH_ALLOWLIST"},
		{"SWARMBRIDGE_INFOHASH_DENYLIST=" + bad, "SWARMBRIDGE_INFOHASH_DENYLIST"},
		{"SWARMBRIDGE_KEYS_FILE=" + bad + ".missing", "no such file"},
	} {
		cfg, err := config.Load([]string{tc.env})
		if err != nil {
			t.Fatal(err)
		}
		_, err = server.New(server.Options{Config: cfg, Logger: zerolog.Nop(), Store: memory.New(memory.Options{})})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), bad) {
			t.Errorf("%s: error %v", tc.env, err)
		}
	}
}
