package server_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/testkit/logbuf"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/server"
	"github.com/swarmbridge/swarmbridge/internal/swarm/memory"
)

// running is a tracker started by startRun: Run on real loopback sockets,
// as main starts it.
type running struct {
	srv    *server.Server
	ls     server.Listeners
	logs   *logbuf.Buffer
	reload chan<- os.Signal
	// wait waits for Run to return on its own and returns its error;
	// stop cancels Run's context first.
	wait, stop func() error
}

// startRun opens the sockets the configuration env asks for (on
// 127.0.0.1:0 unless env says otherwise) and runs the tracker on them
// until stop or the end of the test. When the test ends, every goroutine
// Run started must be gone (goleak).
func startRun(t *testing.T, env ...string) *running {
	t.Helper()
	// Registered first, so it runs after every other cleanup (stop, and
	// closing the clients).
	leaks := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		goleak.VerifyNone(t, leaks)
	})
	cfg, err := config.Load(append([]string{
		"SWARMBRIDGE_HTTP_ADDR=127.0.0.1:0",
		"SWARMBRIDGE_UDP_ADDR=127.0.0.1:0",
	}, env...))
	if err != nil {
		t.Fatal(err)
	}
	logs := &logbuf.Buffer{}
	srv, err := server.New(server.Options{Config: cfg, Logger: zerolog.New(logs), Store: memory.New(memory.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := server.Listen(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	reload := make(chan os.Signal)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ls, reload) }()
	var once sync.Once
	var runErr error
	wait := func() error {
		once.Do(func() {
			select {
			case runErr = <-done:
			case <-time.After(20 * time.Second):
				cancel()
				runErr = errors.New("Run did not return within 20s")
				<-done
			}
		})
		return runErr
	}
	stop := func() error {
		cancel()
		return wait()
	}
	t.Cleanup(func() {
		_ = stop()
		if t.Failed() {
			t.Logf("tracker logs:\n%s", logs.String())
		}
	})
	r := &running{srv: srv, ls: ls, logs: logs, reload: reload, wait: wait, stop: stop}
	r.waitLog(t, "swarmbridge listening") // as main's users do
	return r
}

func (r *running) base() string { return "http://" + r.ls.HTTP.Addr().String() }

func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitStatus(t *testing.T, url string, want int, bodyPart string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := getBody(t, url)
		if code == want && strings.Contains(body, bodyPart) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d %q, want %d containing %q", url, code, body, want, bodyPart)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitLog waits until the tracker has logged part.
func (r *running) waitLog(t *testing.T, part string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(r.logs.String(), part) {
		if time.Now().After(deadline) {
			t.Fatalf("the tracker did not log %q:\n%s", part, r.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The whole life of the tracker as main runs it: it serves HTTP, UDP and
// WebSocket on the sockets Listen opened, says where in its start-up log,
// and when its context ends it closes the WebSocket with 1001 (going
// away), returns nil and leaves no goroutine behind.
func TestRunServesEveryTransportThenShutsDownInOrder(t *testing.T) {
	r := startRun(t)
	ih := hash20(0x5a)

	if d := httpAnnounce(t, r.base(), "/announce", ih, []byte("-qB4650-httppeer0001"), "7001", nil); d["failure reason"] != nil {
		t.Fatalf("HTTP announce: %v", d)
	}
	u := dialUDP(t, r.ls.UDP.LocalAddr().(*net.UDPAddr))
	if msg, seeders := u.announce(u.connect(), ih, []byte("-TR4060-udppeer00001"), 7002, ""); msg != "" || seeders != 2 {
		t.Fatalf("UDP announce: %q, %d seeders, want the HTTP peer and itself", msg, seeders)
	}
	ws := dialWS(t, "ws://"+r.ls.HTTP.Addr().String(), nil)
	if m := ws.announceOK(ih, []byte("-WW0001-wspeer000001")); m["complete"] != float64(3) {
		t.Fatalf("WebSocket announce: %v, want complete 3 (one peer per transport)", m)
	}
	waitStatus(t, r.base()+"/readyz", http.StatusOK, "ready")

	for _, field := range []string{
		`"message":"swarmbridge listening"`,
		`"http_addr":"` + r.ls.HTTP.Addr().String() + `"`,
		`"udp_addr":"` + r.ls.UDP.LocalAddr().String() + `"`,
		`"page_url":"http://` + r.ls.HTTP.Addr().String() + `/"`,
		`"ws_url":"ws://` + r.ls.HTTP.Addr().String() + `"`,
		`"access":`,
	} {
		if !strings.Contains(r.logs.String(), field) {
			t.Errorf("start-up log lacks %s:\n%s", field, r.logs.String())
		}
	}

	// Read in the background: the tracker waits for the client to answer
	// its close frame.
	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		for {
			if _, _, err := ws.ws.Read(ctx); err != nil {
				closed <- err
				return
			}
		}
	}()
	if err := r.stop(); err != nil {
		t.Fatalf("Run returned %v after its context ended, want nil", err)
	}
	if code := websocket.CloseStatus(<-closed); code != websocket.StatusGoingAway {
		t.Fatalf("WebSocket closed with %d, want 1001", code)
	}
	logs := r.logs.String()
	if i, j := strings.Index(logs, `"shutting down"`), strings.Index(logs, `"stopped"`); i < 0 || j < i {
		t.Fatalf("want \"shutting down\" then \"stopped\" in the logs:\n%s", logs)
	}
	// Every socket is closed: nothing answers any more.
	if c, err := net.DialTimeout("tcp", r.ls.HTTP.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Fatal("the TCP port still accepts after Run returned")
	}
	if err := r.ls.UDP.SetReadDeadline(time.Now()); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("the UDP socket is still open after Run returned (%v)", err)
	}
}

// A TCP listener that dies under the tracker stops it: Run shuts down the
// rest and returns the error, so main exits 1.
func TestRunFailsWhenTheTCPListenerDies(t *testing.T) {
	r := startRun(t)
	waitStatus(t, r.base()+"/readyz", http.StatusOK, "ready")
	_ = r.ls.HTTP.Close() // closed behind the tracker's back

	err := r.wait() // nobody cancels: the tracker stops by itself
	if err == nil || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Run returned %v, want the listener's error", err)
	}
	logs := r.logs.String()
	if !strings.Contains(logs, "the HTTP listener failed; shutting down") || !strings.Contains(logs, `"stopped"`) {
		t.Fatalf("logs do not tell the listener failed and the tracker stopped:\n%s", logs)
	}
	if strings.Contains(logs, `"shutting down"`) {
		t.Fatalf("logged an ordinary shutdown for a failed listener:\n%s", logs)
	}
}

func TestReadyzFailsWhenTheUDPListenerDies(t *testing.T) {
	r := startRun(t)
	waitStatus(t, r.base()+"/readyz", http.StatusOK, "ready")

	// The UDP socket dies under the tracker (here: closed behind its back).
	_ = r.ls.UDP.Close()
	waitStatus(t, r.base()+"/readyz", http.StatusServiceUnavailable, "udp listener down")
	// Liveness and the rest of the tracker keep serving.
	if code, _ := getBody(t, r.base()+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz %d after the UDP listener died", code)
	}
	if err := r.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestSeparateMetricsListener(t *testing.T) {
	r := startRun(t, "SWARMBRIDGE_METRICS_ADDR=127.0.0.1:0")
	metrics := "http://" + r.ls.Metrics.Addr().String()
	waitStatus(t, metrics+"/metrics", http.StatusOK, "swarmbridge_swarms 0")
	waitStatus(t, metrics+"/readyz", http.StatusOK, "ready")
	// Not on the public port any more.
	if code, _ := getBody(t, r.base()+"/metrics"); code == http.StatusOK {
		t.Fatal("/metrics still served on the public port")
	}
	if !strings.Contains(r.logs.String(), `"metrics_addr":"`+r.ls.Metrics.Addr().String()+`"`) {
		t.Fatalf("start-up log lacks metrics_addr:\n%s", r.logs.String())
	}

	// A dead metrics listener fails /readyz on the public port but does not
	// stop the tracker.
	_ = r.ls.Metrics.Close()
	waitStatus(t, r.base()+"/readyz", http.StatusServiceUnavailable, "metrics listener down")
	if code, _ := getBody(t, r.base()+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz %d after the metrics listener died", code)
	}
	if err := r.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// With SWARMBRIDGE_UDP_ADDR empty there is no UDP socket: the start-up log
// says so, and /readyz does not wait for it.
func TestRunWithUDPOff(t *testing.T) {
	r := startRun(t, "SWARMBRIDGE_UDP_ADDR=")
	if r.ls.UDP != nil {
		t.Fatal("Listen opened a UDP socket with SWARMBRIDGE_UDP_ADDR empty")
	}
	if logs := r.logs.String(); !strings.Contains(logs, `"udp":"disabled"`) || strings.Contains(logs, "udp_addr") {
		t.Fatalf("start-up log does not say udp disabled:\n%s", logs)
	}
	waitStatus(t, r.base()+"/readyz", http.StatusOK, "ready")
	if err := r.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}
