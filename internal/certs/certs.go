// Package certs serves a TLS certificate from files and reloads it on
// demand, so an operator can renew certificates (SIGHUP) without dropping
// connections: connections keep the certificate they shook hands with and
// new handshakes get the new one.
package certs

import (
	"crypto/tls"
	"fmt"
	"sync/atomic"
)

// Reloader holds the current certificate of a cert/key file pair.
type Reloader struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
}

// New loads the pair once; it fails if the files are missing or invalid.
func New(certFile, keyFile string) (*Reloader, error) {
	r := &Reloader{certFile: certFile, keyFile: keyFile}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload reads the files again. On error the previous certificate stays in
// use, so a half-written renewal never takes the tracker down.
func (r *Reloader) Reload() error {
	c, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("load TLS certificate %s / key %s: %w", r.certFile, r.keyFile, err)
	}
	r.cur.Store(&c)
	return nil
}

// GetCertificate is for tls.Config.GetCertificate.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cur.Load(), nil
}

// TLSConfig returns a server configuration that uses the current
// certificate.
func (r *Reloader) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: r.GetCertificate,
		// HTTP/1.1 only: WebSocket upgrades need it, and announces gain
		// nothing from HTTP/2.
		NextProtos: []string{"http/1.1"},
	}
}
