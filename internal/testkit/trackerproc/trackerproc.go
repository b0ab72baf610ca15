// Package trackerproc builds the swarmbridge binary and runs it as a
// subprocess for black-box tests: it learns the bound addresses from the
// start-up log line and, on cleanup, checks that SIGTERM shuts it down
// with exit code 0. It imports "testing", so only tests may use it.
package trackerproc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Build compiles ./cmd/swarmbridge into dir and returns the binary's path.
// When the calling tests run with -race, so does the tracker.
func Build(dir string) (string, error) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	bin := filepath.Join(dir, "swarmbridge")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	// go test puts the running toolchain's bin first on PATH.
	cmd := exec.Command("go", append(args, "./cmd/swarmbridge")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
}

// Tracker is a running swarmbridge process.
type Tracker struct {
	// HTTPAddr and UDPAddr are the bound addresses, e.g. 127.0.0.1:40123.
	HTTPAddr string
	UDPAddr  string
	// AdminAddr is the management API's own listener, when
	// SWARMBRIDGE_ADMIN_ADDR gives it one.
	AdminAddr string

	cmd  *exec.Cmd
	mu   sync.Mutex
	logs bytes.Buffer
	done chan error

	stopOnce sync.Once
	stopErr  error
}

// WSURL is the WebSocket announce URL.
func (t *Tracker) WSURL() string { return "ws://" + t.HTTPAddr }

// HTTPURL is the base HTTP URL.
func (t *Tracker) HTTPURL() string { return "http://" + t.HTTPAddr }

// Logs returns everything the process logged so far.
func (t *Tracker) Logs() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.logs.String()
}

// Start runs bin with SWARMBRIDGE_* defaults for tests (loopback, port 0,
// JSON debug logs; any SWARMBRIDGE_* of the test's own environment is
// dropped) plus env, waits for it to listen, and registers a cleanup that
// stops it with SIGTERM and fails the test unless it exits 0 without a
// data race report. The logs are printed when the test fails.
func Start(t testing.TB, bin string, env ...string) *Tracker {
	t.Helper()
	cmd := exec.Command(bin)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWARMBRIDGE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"SWARMBRIDGE_LOG_LEVEL=debug",
		"SWARMBRIDGE_HTTP_ADDR=127.0.0.1:0",
		"SWARMBRIDGE_UDP_ADDR=127.0.0.1:0",
		"SWARMBRIDGE_LOG_FORMAT=json",
	)
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	tr := &Tracker{cmd: cmd, done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start tracker: %v", err)
	}
	ready := make(chan struct{})
	go tr.readLogs(stderr, ready)
	go func() { tr.done <- cmd.Wait() }()

	select {
	case <-ready:
	case err := <-tr.done:
		t.Fatalf("tracker exited before listening: %v\n%s", err, tr.Logs())
	case <-time.After(60 * time.Second): // a -race build on a busy machine is slow
		_ = cmd.Process.Kill()
		t.Fatalf("tracker did not start within 60s\n%s", tr.Logs())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("tracker logs:\n%s", tr.Logs())
		}
		if err := tr.Stop(15 * time.Second); err != nil {
			t.Errorf("tracker shutdown: %v\n%s", err, tr.Logs())
		}
		if strings.Contains(tr.Logs(), "WARNING: DATA RACE") {
			t.Errorf("the tracker reported a data race:\n%s", tr.Logs())
		}
	})
	return tr
}

func (t *Tracker) readLogs(r io.Reader, ready chan struct{}) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	signalled := false
	for sc.Scan() {
		line := sc.Bytes()
		t.mu.Lock()
		t.logs.Write(line)
		t.logs.WriteByte('\n')
		t.mu.Unlock()
		if signalled {
			continue
		}
		var entry struct {
			Message   string `json:"message"`
			HTTPAddr  string `json:"http_addr"`
			UDPAddr   string `json:"udp_addr"`
			AdminAddr string `json:"admin_addr"`
		}
		if json.Unmarshal(line, &entry) == nil && entry.Message == "swarmbridge listening" {
			t.mu.Lock()
			t.HTTPAddr, t.UDPAddr, t.AdminAddr = entry.HTTPAddr, entry.UDPAddr, entry.AdminAddr
			t.mu.Unlock()
			signalled = true
			close(ready)
		}
	}
}

// PID is the tracker's process id (for reading /proc).
func (t *Tracker) PID() int { return t.cmd.Process.Pid }

// Signal sends sig to the process (e.g. syscall.SIGHUP to reload).
func (t *Tracker) Signal(sig os.Signal) error {
	return t.cmd.Process.Signal(sig)
}

// Stop sends SIGTERM and waits up to timeout for exit code 0. It is safe
// to call more than once.
func (t *Tracker) Stop(timeout time.Duration) error {
	t.stopOnce.Do(func() { t.stopErr = t.stop(timeout) })
	return t.stopErr
}

// Kill sends SIGKILL, as a crash or the OOM killer would, and waits for
// the process to exit. The cleanup then expects no clean shutdown (it
// still fails the test on a data race report). It is a no-op once the
// process was stopped or killed.
func (t *Tracker) Kill() {
	t.stopOnce.Do(func() {
		_ = t.cmd.Process.Kill()
		<-t.done // "signal: killed", as wanted
	})
}

func (t *Tracker) stop(timeout time.Duration) error {
	if err := t.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("signal: %w", err)
	}
	select {
	case err := <-t.done:
		if err != nil {
			return fmt.Errorf("exit after SIGTERM: %w", err)
		}
		return nil
	case <-time.After(timeout):
		_ = t.cmd.Process.Kill()
		<-t.done
		return fmt.Errorf("no exit within %s of SIGTERM", timeout)
	}
}
