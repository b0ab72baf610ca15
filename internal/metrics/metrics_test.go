package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling"
)

// Labels come from typed values: transports, message kinds and failure
// codes, never from text a client could choose or read.
func TestLabelsComeFromTypedValues(t *testing.T) {
	m := New()
	ws := m.WebSocket()
	ws.Handled(signaling.Message{Action: bittorrent.ActionAnnounce, Event: bittorrent.EventUpdate, Paused: true}, time.Millisecond)
	ws.Handled(signaling.Message{Invalid: true}, time.Millisecond)
	ws.Failure(bittorrent.FailureMalformed)
	ws.Failure(bittorrent.FailureDenied)
	ws.Dropped(signaling.DropQueueFull)
	httpObs := m.Transport(bittorrent.TransportHTTP)
	httpObs.Failure(bittorrent.FailureRateLimited)
	httpObs.Handled("announce", "started", time.Millisecond)
	m.Transport(bittorrent.TransportUDP).Failure(bittorrent.FailureInvalidPort)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	text := string(body)
	for _, want := range []string{
		`swarmbridge_requests_total{action="announce",event="paused",transport="ws"} 1`,
		`swarmbridge_requests_total{action="invalid",event="",transport="ws"} 1`,
		`swarmbridge_requests_total{action="announce",event="started",transport="http"} 1`,
		`swarmbridge_failures_total{reason="malformed",transport="ws"} 1`,
		`swarmbridge_failures_total{reason="denied",transport="ws"} 1`,
		`swarmbridge_failures_total{reason="rate_limited",transport="http"} 1`,
		`swarmbridge_failures_total{reason="invalid_port",transport="udp"} 1`,
		`swarmbridge_ws_dropped_total{reason="queue_full"} 1`,
		`swarmbridge_ws_dropped_total{reason="target_gone"} 0`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// Every failure series is labelled with a code.
	if n := strings.Count(text, "\nswarmbridge_failures_total{"); n != 4 {
		t.Errorf("%d failure series, want 4", n)
	}
}
