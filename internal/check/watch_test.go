package check

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/logbuf"

	"github.com/swarmbridge/swarmbridge/internal/testkit/servertest"
)

// -watch repeats the checks, serves their results as metrics, and returns
// 0 when its context ends.
func TestWatchServesMetrics(t *testing.T) {
	tr := servertest.Start(t, nil, nil)
	udpURL := "udp://" + tr.UDP.String()
	dead := "http://127.0.0.1:1/announce"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut logbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"-watch", "200ms", "-timeout", "2s", "-metrics-addr", "127.0.0.1:0", "-json", udpURL, dead}, &out, &errOut)
	}()
	addrRE := regexp.MustCompile(`serving metrics on (http://\S+/metrics)`)
	var metricsURL string
	for deadline := time.Now().Add(10 * time.Second); metricsURL == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(errOut.String()); m != nil {
			metricsURL = m[1]
		}
	}
	if metricsURL == "" {
		t.Fatalf("no metrics address in %q", errOut.String())
	}
	var body string
	want := []string{
		`swarmbridge_check_up{step="peers",tracker="` + udpURL + `"} 1`,
		`swarmbridge_check_up{step="reach",tracker="` + dead + `"} 0`,
		`swarmbridge_check_up{step="announce",tracker="` + dead + `"} 0`,
		`swarmbridge_check_tracker_up{tracker="` + udpURL + `"} 1`,
		`swarmbridge_check_tracker_up{tracker="` + dead + `"} 0`,
		`swarmbridge_check_latency_seconds{step="connect",tracker="` + udpURL + `"} `,
		`swarmbridge_check_last_run_timestamp_seconds{tracker="` + udpURL + `"} `,
		`swarmbridge_check_runs_total{result="fail",tracker="` + dead + `"} `,
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		body = get(t, metricsURL)
		if containsAll(body, want) && strings.Contains(body, `swarmbridge_check_runs_total{result="pass",tracker="`+udpURL+`"} 2`) {
			break
		}
	}
	if !containsAll(body, want) {
		t.Fatalf("metrics lack some of %q:\n%s", want, body)
	}
	if !strings.Contains(body, `swarmbridge_check_runs_total{result="pass",tracker="`+udpURL+`"} 2`) {
		t.Fatalf("the checks did not repeat:\n%s", body)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d after the context ended", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("-watch did not stop")
	}
	if n := strings.Count(out.String(), "\n"); n < 2 {
		t.Fatalf("%d JSON runs printed, want one per run:\n%s", n, out.String())
	}
}

func containsAll(s string, subs []string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestWatchRefusesABadMetricsAddress(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"-watch", "1s", "-metrics-addr", "256.0.0.1:1", "udp://127.0.0.1:1"}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "-metrics-addr") {
		t.Fatalf("exit %d, %q", code, errOut.String())
	}
}
