package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"

	"github.com/swarmbridge/swarmbridge/internal/config"
)

// CheckHealth asks the tracker that cfg describes for /healthz, where Run
// serves it: on SWARMBRIDGE_METRICS_ADDR in plain HTTP when that is set
// (TLS covers HTTP_ADDR only), else on HTTP_ADDR, over TLS when configured.
// A wildcard host is asked on 127.0.0.1. The container image has no shell
// or curl, so its HEALTHCHECK runs `swarmbridge healthcheck`, which calls
// this.
func CheckHealth(ctx context.Context, cfg config.Config) error {
	addr, scheme := cfg.HTTPAddr, "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	if cfg.MetricsAddr != "" {
		addr, scheme = cfg.MetricsAddr, "http"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("health check address: %w", err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("health check request: %w", err)
	}
	client := http.DefaultClient
	if scheme == "https" {
		// No verification: the certificate names the public host, and the
		// check only asks whether this process answers.
		client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // local liveness probe, see above
		defer client.CloseIdleConnections()
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("no answer from the tracker: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz answered %s", resp.Status)
	}
	return nil
}
