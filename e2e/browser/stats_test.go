package browser_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
)

// The human statistics page shows what /stats says: totals, peers by
// client and the busiest swarms.
func TestStatsPageShowsTrackerNumbers(t *testing.T) {
	tr := trackerproc.Start(t, trackerBin, "SWARMBRIDGE_STATS_TORRENTS=true")
	ih := strings.Repeat("\xab", 20)
	for i, id := range []string{"-qB4650-aaaaaaaaaaaa", "-TR4060-bbbbbbbbbbbb", "-qB4650-cccccccccccc"} {
		q := url.Values{}
		q.Set("info_hash", ih)
		q.Set("peer_id", id)
		q.Set("port", []string{"7001", "7002", "7003"}[i])
		q.Set("left", []string{"0", "5", "5"}[i])
		resp, err := http.Get(tr.HTTPURL() + "/announce?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	b := newBrowser(t)
	page := b.newTab("stats")
	page.navigate(tr.HTTPURL() + "/stats.html")
	totals := waitFor[string](page, `document.querySelector('#totals').textContent.includes('Peers3') && document.querySelector('#totals').textContent`, 20*time.Second)
	for _, want := range []string{"Swarms1", "Seeders1", "Leechers2", "Native peers3"} {
		if !strings.Contains(totals, want) {
			t.Errorf("totals %q lack %q", totals, want)
		}
	}
	clients := eval[string](page, `document.querySelector('#clients').textContent`)
	if !strings.Contains(clients, "qBittorrent2") || !strings.Contains(clients, "Transmission1") {
		t.Errorf("clients table: %q", clients)
	}
	busiest := waitFor[string](page, `!document.querySelector('#busiest-card').hidden && document.querySelector('#busiest').textContent`, 10*time.Second)
	if !strings.Contains(busiest, strings.Repeat("ab", 20)) {
		t.Errorf("busiest table: %q", busiest)
	}
	page.screenshot("stats-page.png")
	noConsoleErrors(t, page)
}
