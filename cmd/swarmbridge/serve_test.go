package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/swarmbridge/swarmbridge/internal/config"
)

// startServe runs serve on loopback sockets and returns the listeners and
// a function that stops it and returns serve's error.
func startServe(t *testing.T, env ...string) (*listeners, func() error) {
	t.Helper()
	cfg, err := config.Load(append([]string{
		"SWARMBRIDGE_HTTP_ADDR=127.0.0.1:0",
		"SWARMBRIDGE_UDP_ADDR=127.0.0.1:0",
	}, env...))
	if err != nil {
		t.Fatal(err)
	}
	ls, err := listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, zerolog.Nop(), ls) }()
	var once sync.Once
	var serveErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case serveErr = <-done:
			case <-time.After(20 * time.Second):
				t.Error("serve did not return within 20s of cancel")
			}
		})
		return serveErr
	}
	t.Cleanup(func() { _ = stop() })
	return ls, stop
}

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

func TestReadyzFailsWhenTheUDPListenerDies(t *testing.T) {
	ls, stop := startServe(t)
	base := "http://" + ls.http.Addr().String()
	waitStatus(t, base+"/readyz", http.StatusOK, "ready")

	// The UDP socket dies under the tracker (here: closed behind its back).
	_ = ls.udp.Close()
	waitStatus(t, base+"/readyz", http.StatusServiceUnavailable, "udp listener down")
	// Liveness and the rest of the tracker keep serving.
	if code, _ := getBody(t, base+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz %d after the UDP listener died", code)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
}

func TestSeparateMetricsListener(t *testing.T) {
	ls, _ := startServe(t, "SWARMBRIDGE_METRICS_ADDR=127.0.0.1:0")
	metrics := "http://" + ls.metrics.Addr().String()
	waitStatus(t, metrics+"/metrics", http.StatusOK, "swarmbridge_swarms 0")
	waitStatus(t, metrics+"/readyz", http.StatusOK, "ready")
	// Not on the public port any more.
	if code, _ := getBody(t, "http://"+ls.http.Addr().String()+"/metrics"); code == http.StatusOK {
		t.Fatal("/metrics still served on the public port")
	}
}
