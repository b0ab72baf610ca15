package server_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/server"
	"github.com/swarmbridge/swarmbridge/internal/testkit/certstest"
)

// The container's HEALTHCHECK runs `swarmbridge healthcheck` with the
// tracker's own variables; CheckHealth must find /healthz wherever and
// however Run serves it for that configuration.
func TestCheckHealthFollowsTheTrackersConfiguration(t *testing.T) {
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
			r := startRun(t, env...)
			probeEnv := append(env[:len(env):len(env)], "SWARMBRIDGE_HTTP_ADDR="+r.ls.HTTP.Addr().String())
			if tc.metrics {
				probeEnv = append(probeEnv, "SWARMBRIDGE_METRICS_ADDR="+r.ls.Metrics.Addr().String())
			}
			probeCfg, err := config.Load(probeEnv)
			if err != nil {
				t.Fatal(err)
			}
			probe := func() error {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				return server.CheckHealth(ctx, probeCfg)
			}
			if err := probe(); err != nil {
				t.Fatalf("health check of a running tracker: %v", err)
			}
			if err := r.stop(); err != nil {
				t.Fatalf("Run: %v", err)
			}
			// Nothing listening any more: the probe reports it.
			if err := probe(); err == nil {
				t.Fatal("health check of a stopped tracker passed")
			}
		})
	}
}
