package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/swarmbridge/swarmbridge/internal/config"
)

// healthcheck asks the tracker that the same SWARMBRIDGE_* variables
// describe for /healthz. The container image has no shell or curl, so its
// HEALTHCHECK runs this.
func healthcheck(environ []string, stderr io.Writer) int {
	cfg, err := config.Load(environ)
	if err != nil {
		fmt.Fprintf(stderr, "swarmbridge healthcheck: %v\n", err)
		return 2
	}
	// TLS covers HTTP_ADDR only; the separate metrics listener is plain.
	addr, scheme := cfg.HTTPAddr, "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	if cfg.MetricsAddr != "" {
		addr, scheme = cfg.MetricsAddr, "http"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		fmt.Fprintf(stderr, "swarmbridge healthcheck: %v\n", err)
		return 2
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		fmt.Fprintf(stderr, "swarmbridge healthcheck: %v\n", err)
		return 1
	}
	resp, err := healthClient(cfg).Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "swarmbridge healthcheck: %v\n", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "swarmbridge healthcheck: /healthz answered %s\n", resp.Status)
		return 1
	}
	return 0
}
