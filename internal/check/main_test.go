package check

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/loopbackns"
	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
)

// TestMain runs the tests in a network namespace with loopback only: the
// webrtc step's peers must never reach a network (the checker gathers
// loopback candidates for trackers on loopback, and the namespace makes
// sure). Goroutines left behind fail the run (goleak).
func TestMain(m *testing.M) {
	os.Exit(loopbackns.Run(func() int { return trackerproc.RunChecked(m) }))
}

// runCheck runs the command with args and decodes its -json report.
func runCheck(t *testing.T, args ...string) (Report, int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code := Main(ctx, append([]string{"-json", "-timeout", "5s"}, args...), &out, &errOut)
	var rep Report
	if out.Len() > 0 {
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("-json output %q: %v", out.String(), err)
		}
	}
	return rep, code, errOut.String()
}

// rows renders a result as "step STATUS [warning…]" lines, what the tests
// compare.
func rows(r TrackerResult) []string {
	var out []string
	for _, s := range r.Steps {
		row := s.Step + " " + string(s.Status)
		for _, w := range s.Warnings {
			row += " " + w.Name
		}
		out = append(out, row)
	}
	return out
}

func wantRows(t *testing.T, r TrackerResult, want ...string) {
	t.Helper()
	if got := rows(r); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n%s\nwant\n%s\ndetails:\n%s", r.URL, strings.Join(got, "\n"), strings.Join(want, "\n"), details(r))
	}
}

func details(r TrackerResult) string {
	var sb strings.Builder
	for _, s := range r.Steps {
		sb.WriteString(s.Step + ": " + s.Detail + "\n")
	}
	return sb.String()
}

// allPass is what a tracker that follows the BEPs gets.
func allPass(open string) []string {
	return []string{open + " PASS", "announce PASS", "scrape PASS", "peers PASS", "scrape-peers PASS", "stopped PASS", "scrape-stopped PASS"}
}

// allPassWS is what a WebSocket tracker that does everything right gets.
func allPassWS() []string {
	return []string{"connect PASS", "announce PASS", "scrape PASS", "peers PASS", "scrape-peers PASS",
		"offer-relay PASS", "webrtc PASS", "stopped PASS", "scrape-stopped PASS"}
}
