package check

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/logbuf"

	"github.com/swarmbridge/swarmbridge/internal/testkit/certstest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
)

// The built binary: `swarmbridge check` checks a Swarmbridge process, and
// `swarmbridge check -watch` stops with exit code 0 on SIGINT and SIGTERM.
func TestBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin, err := trackerproc.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tr := trackerproc.Start(t, bin)
	urls := []string{tr.HTTPURL() + "/announce", "udp://" + tr.UDPAddr + "/announce"}

	out, err := exec.Command(bin, append([]string{"check", "-json"}, append(urls, tr.WSURL())...)...).Output()
	var rep Report
	if err != nil || json.Unmarshal(out, &rep) != nil || !rep.OK {
		t.Fatalf("swarmbridge check: %v\n%s", err, out)
	}
	wantRows(t, rep.Trackers[0], allPass("reach")...)
	wantRows(t, rep.Trackers[1], allPass("connect")...)
	wantRows(t, rep.Trackers[2], allPassWS()...)

	// wss:// and https:// on a tracker with its own certificate, trusted
	// with -ca.
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certstest.WriteSelfSigned(t, cert, key, "tracker.test")
	tlsTr := trackerproc.Start(t, bin, "SWARMBRIDGE_TLS_CERT="+cert, "SWARMBRIDGE_TLS_KEY="+key)
	out, err = exec.Command(bin, "check", "-json", "-ca", cert, "wss://"+tlsTr.HTTPAddr, "https://"+tlsTr.HTTPAddr+"/announce").Output()
	rep = Report{}
	if err != nil || json.Unmarshal(out, &rep) != nil || !rep.OK {
		t.Fatalf("swarmbridge check -ca: %v\n%s", err, out)
	}
	wantRows(t, rep.Trackers[0], allPassWS()...)
	wantRows(t, rep.Trackers[1], allPass("reach")...)
	if err := exec.Command(bin, "check", "wss://"+tlsTr.HTTPAddr).Run(); exitCode(err) != 1 {
		t.Fatalf("wss without -ca: %v, want exit 1 (untrusted certificate)", err)
	}

	if err := exec.Command(bin, "check").Run(); exitCode(err) != 2 {
		t.Fatalf("check without URLs: %v, want exit 2", err)
	}

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "check", "-watch", "1s", "-metrics-addr", "127.0.0.1:0", urls[1])
			var stdout bytes.Buffer
			stderr := &logbuf.Buffer{}
			cmd.Stdout, cmd.Stderr = &stdout, stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			addr := regexp.MustCompile(`serving metrics on (http://\S+/metrics)`)
			var metricsURL string
			for deadline := time.Now().Add(30 * time.Second); metricsURL == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if m := addr.FindStringSubmatch(stderr.String()); m != nil {
					metricsURL = m[1]
				}
			}
			if metricsURL == "" {
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf("no metrics address: %s", stderr.String())
			}
			want := `swarmbridge_check_tracker_up{tracker="` + urls[1] + `"} 1`
			for deadline := time.Now().Add(30 * time.Second); !strings.Contains(get(t, metricsURL), want) && time.Now().Before(deadline); {
				time.Sleep(50 * time.Millisecond)
			}
			_ = cmd.Process.Signal(sig)
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("after %s: %v\n%s", sig, err, stderr.String())
				}
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf("still running 10 s after %s", sig)
			}
			if !strings.Contains(stdout.String(), "result: PASS") {
				t.Fatalf("no table printed:\n%s", stdout.String())
			}
		})
	}
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
