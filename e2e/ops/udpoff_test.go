package ops_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/swarmbridge/swarmbridge/internal/trackerproc"
)

// An operator running two trackers on one machine turns UDP off on both
// with an empty SWARMBRIDGE_UDP_ADDR, as the README says. Before, the empty
// value fell back to :6969 and the second tracker failed to bind it.
func TestTwoTrackersWithUDPOffBothStart(t *testing.T) {
	var trackers []*trackerproc.Tracker
	for range 2 {
		trackers = append(trackers, trackerproc.Start(t, trackerBin, "SWARMBRIDGE_UDP_ADDR="))
	}
	for i, tr := range trackers {
		if tr.UDPAddr != "" {
			t.Errorf("tracker %d listens on UDP %s", i, tr.UDPAddr)
		}
		if !strings.Contains(tr.Logs(), `"udp":"disabled"`) {
			t.Errorf("tracker %d: start-up log does not say udp disabled:\n%s", i, tr.Logs())
		}
		// /readyz does not wait for the UDP listener that was switched off.
		resp, err := http.Get(tr.HTTPURL() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "ready" {
			t.Errorf("tracker %d /readyz: %d %q", i, resp.StatusCode, body)
		}
	}
}
