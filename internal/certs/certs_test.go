package certs

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"

	"github.com/swarmbridge/swarmbridge/internal/testkit/certstest"
)

// writePair writes a self-signed certificate with the given common name.
func writePair(t *testing.T, dir, cn string) (string, string) {
	t.Helper()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certstest.WriteSelfSigned(t, certFile, keyFile, cn)
	return certFile, keyFile
}

func commonName(t *testing.T, r *Reloader) string {
	t.Helper()
	c, _ := r.GetCertificate(nil)
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf.Subject.CommonName
}

func TestReloadSwapsAndKeepsOldOnError(t *testing.T) {
	dir := t.TempDir()
	cert, key := writePair(t, dir, "first.test")
	r, err := New(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	if cn := commonName(t, r); cn != "first.test" {
		t.Fatalf("cn %q", cn)
	}
	writePair(t, dir, "second.test")
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	if cn := commonName(t, r); cn != "second.test" {
		t.Fatalf("after reload cn %q", cn)
	}
	if err := os.WriteFile(cert, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := r.Reload(); err == nil {
		t.Fatal("a broken certificate was accepted")
	}
	if cn := commonName(t, r); cn != "second.test" {
		t.Fatalf("a failed reload replaced the certificate: %q", cn)
	}
	if _, err := New(filepath.Join(dir, "missing.pem"), key); err == nil {
		t.Fatal("missing files accepted")
	}
}
