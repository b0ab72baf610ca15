package main

import (
	"bytes"
	"net"
	"path/filepath"
	"testing"

	"github.com/swarmbridge/swarmbridge/internal/testkit/certstest"
)

// The container's HEALTHCHECK runs `swarmbridge healthcheck` with the
// tracker's own variables; it must find /healthz wherever and however
// that configuration serves it.
func TestHealthcheckFollowsTheTrackersConfiguration(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certstest.WriteSelfSigned(t, cert, key, "localhost")
	tlsEnv := []string{"SWARMBRIDGE_TLS_CERT=" + cert, "SWARMBRIDGE_TLS_KEY=" + key}

	cases := []struct {
		name    string
		env     []string
		metrics bool
	}{
		{"plain", nil, false},
		{"tls", tlsEnv, false},
		{"plain with metrics address", nil, true},
		// TLS covers HTTP_ADDR only: the probe must ask the metrics
		// listener in plain HTTP.
		{"tls with metrics address", tlsEnv, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.env
			if tc.metrics {
				env = append(env[:len(env):len(env)], "SWARMBRIDGE_METRICS_ADDR=127.0.0.1:0")
			}
			ls, stop := startServe(t, env...)
			probeEnv := append(env[:len(env):len(env)], "SWARMBRIDGE_HTTP_ADDR="+ls.http.Addr().String())
			if tc.metrics {
				probeEnv = append(probeEnv, "SWARMBRIDGE_METRICS_ADDR="+ls.metrics.Addr().String())
			}
			var stderr bytes.Buffer
			if code := healthcheck(probeEnv, &stderr); code != 0 {
				t.Fatalf("healthcheck exited %d: %s", code, stderr.String())
			}
			if err := stop(); err != nil {
				t.Fatalf("serve: %v", err)
			}
			// Nothing listening any more: the probe reports it.
			stderr.Reset()
			if code := healthcheck(probeEnv, &stderr); code != 1 {
				t.Fatalf("healthcheck against a stopped tracker exited %d, want 1", code)
			}
		})
	}
}

// A configuration the tracker would refuse is a usage error (2), told
// apart from an unhealthy tracker (1).
func TestHealthcheckRejectsABadConfiguration(t *testing.T) {
	var stderr bytes.Buffer
	if code := healthcheck([]string{"SWARMBRIDGE_HTTP_ADDR=" + net.JoinHostPort("127.0.0.1", "x")}, &stderr); code != 2 {
		t.Fatalf("exit %d (%s), want 2", code, stderr.String())
	}
}
