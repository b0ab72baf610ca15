package server_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/swarmbridge/swarmbridge/internal/testkit/servertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newServer(t *testing.T, env ...string) *httptest.Server {
	t.Helper()
	return servertest.Start(t, env, nil).HTTP
}

func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// One port: WebSocket upgrades on any path, plain announces on /announce,
// the page, health and stats.
func TestOnePortRoutesEveryService(t *testing.T) {
	ts := newServer(t)
	ih := strings.Repeat("\x01", 20)

	// A plain HTTP announce on /announce.
	q := "info_hash=" + url.QueryEscape(ih) + "&peer_id=" + url.QueryEscape(strings.Repeat("p", 20)) + "&port=6881&left=0"
	resp, body := get(t, ts.URL+"/announce?"+q)
	if resp.StatusCode != 200 || !strings.HasPrefix(body, "d8:complete") {
		t.Fatalf("announce: %d %q", resp.StatusCode, body)
	}

	// WebSocket upgrades on / and on /announce reach the relay.
	for _, path := range []string{"/", "/announce"} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+path, nil)
		if err != nil {
			cancel()
			t.Fatalf("ws on %s: %v", path, err)
		}
		_ = ws.Write(ctx, websocket.MessageText, []byte(`{"action":"scrape","info_hash":"`+strings.Repeat(`\u0001`, 20)+`"}`))
		_, msg, err := ws.Read(ctx)
		cancel()
		_ = ws.CloseNow()
		if err != nil || !strings.Contains(string(msg), `"complete":1`) {
			t.Fatalf("ws scrape on %s does not see the HTTP peer: %s %v", path, msg, err)
		}
	}

	resp, body = get(t, ts.URL+"/healthz")
	if resp.StatusCode != 200 || body != "ok\n" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}
	resp, body = get(t, ts.URL+"/")
	if resp.StatusCode != 200 || !strings.Contains(body, "<html") {
		t.Fatalf("page: %d", resp.StatusCode)
	}
}

func TestStatsCountsPeersAndRequestedTorrents(t *testing.T) {
	ts := newServer(t)
	ihRaw := strings.Repeat("\xab", 20)
	for i, left := range []string{"0", "10"} {
		q := "info_hash=" + url.QueryEscape(ihRaw) + "&peer_id=" + url.QueryEscape(strings.Repeat(string(rune('a'+i)), 20)) + "&port=" + []string{"7001", "7002"}[i] + "&left=" + left
		if resp, body := get(t, ts.URL+"/announce?"+q); resp.StatusCode != 200 || strings.Contains(body, "failure") {
			t.Fatalf("announce: %q", body)
		}
	}
	ih := hex.EncodeToString([]byte(ihRaw))
	resp, body := get(t, ts.URL+"/stats?info_hash="+ih+"&info_hash="+strings.Repeat("0", 40))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("stats: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var st struct {
		Swarms, Seeders, Leechers, Peers int
		PeersByKind                      map[string]int `json:"peers_by_kind"`
		Torrents                         map[string]struct{ Complete, Incomplete, Downloaded int }
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	if st.Swarms != 1 || st.Seeders != 1 || st.Leechers != 1 || st.Peers != 2 || st.PeersByKind["native"] != 2 {
		t.Fatalf("totals: %s", body)
	}
	if c := st.Torrents[ih]; c.Complete != 1 || c.Incomplete != 1 {
		t.Fatalf("torrent counts: %s", body)
	}
	if c, ok := st.Torrents[strings.Repeat("0", 40)]; !ok || c.Complete != 0 {
		t.Fatalf("unknown torrent not reported as zeros: %s", body)
	}
	if resp, _ := get(t, ts.URL+"/stats?info_hash=xyz"); resp.StatusCode != 400 {
		t.Fatalf("bad info_hash: %d", resp.StatusCode)
	}
}

func TestStatsListsClientsAndBusiestSwarms(t *testing.T) {
	ts := newServer(t, "SWARMBRIDGE_STATS_TORRENTS=true")
	busy, quiet := strings.Repeat("\x11", 20), strings.Repeat("\x22", 20)
	announce := func(ih, peerID string, port int) {
		q := "info_hash=" + url.QueryEscape(ih) + "&peer_id=" + url.QueryEscape(peerID) + "&port=" + strconv.Itoa(port) + "&left=5"
		if resp, body := get(t, ts.URL+"/announce?"+q); resp.StatusCode != 200 || strings.Contains(body, "failure") {
			t.Fatalf("announce: %q", body)
		}
	}
	announce(busy, "-qB4650-aaaaaaaaaaaa", 7001)
	announce(busy, "-qB4650-bbbbbbbbbbbb", 7002)
	announce(busy, "-TR4060-cccccccccccc", 7003)
	announce(quiet, "-TR4060-dddddddddddd", 7004)
	_, body := get(t, ts.URL+"/stats")
	var st struct {
		Clients map[string]int
		Busiest []struct {
			InfoHash   string `json:"info_hash"`
			Incomplete int
		}
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	if st.Clients["qBittorrent"] != 2 || st.Clients["Transmission"] != 2 {
		t.Fatalf("clients: %s", body)
	}
	if len(st.Busiest) != 2 || st.Busiest[0].InfoHash != hex.EncodeToString([]byte(busy)) || st.Busiest[0].Incomplete != 3 || st.Busiest[1].Incomplete != 1 {
		t.Fatalf("busiest: %s", body)
	}
	// Off by default.
	ts2 := newServer(t)
	announce2 := "info_hash=" + url.QueryEscape(busy) + "&peer_id=" + url.QueryEscape("-qB4650-aaaaaaaaaaaa") + "&port=7001&left=5"
	get(t, ts2.URL+"/announce?"+announce2)
	if _, body := get(t, ts2.URL+"/stats"); strings.Contains(body, "busiest") {
		t.Fatalf("busiest listed without SWARMBRIDGE_STATS_TORRENTS: %s", body)
	}
}
