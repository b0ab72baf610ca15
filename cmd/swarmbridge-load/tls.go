package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// wssConfig is the TLS configuration of wss:// connections: the system's
// roots, or those of -ca-file, or none at all with -insecure (a test
// certificate on loopback); with -tls-resume one session cache shared by
// every connection, so that all but the first resume (as a browser that
// reconnects does) instead of paying a full handshake each.
func wssConfig(cfg *config) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case cfg.insecure && cfg.caFile != "":
		return nil, errors.New("-insecure and -ca-file: choose one")
	case cfg.insecure:
		tc.InsecureSkipVerify = true //nolint:gosec // asked for: a benchmark against a test certificate
	case cfg.caFile != "":
		pem, err := os.ReadFile(cfg.caFile)
		if err != nil {
			return nil, fmt.Errorf("-ca-file: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("-ca-file %s: no PEM certificate in it", cfg.caFile)
		}
		tc.RootCAs = roots
	}
	if cfg.tlsResume {
		tc.ClientSessionCache = tls.NewLRUClientSessionCache(1)
	}
	return tc, nil
}
