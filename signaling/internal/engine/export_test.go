package engine

import "crypto/tls"

// Hooks for the black-box tests (package engine_test); compiled only into
// tests.

// TLSBuffered is the capacity of the buffers crypto/tls holds for c, a TLS
// connection, in bytes; -1 when they cannot be seen (tlsrelease.go).
func TLSBuffered(c *Conn) int {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	return tlsBuffered(c.nc.(*tls.Conn))
}

// TLSIdleAfter is how long a polled TLS connection's read side stays idle
// before crypto/tls's buffers go (at most twice that).
const TLSIdleAfter = tlsIdleAfter

// Polled reports whether c's read side is served by a poller.
func Polled(c *Conn) bool { return c.poll != nil }

// TLSBacklogged reports whether c's TLS socket keeps bytes the socket did
// not take yet.
func TLSBacklogged(c *Conn) bool { return c.sock != nil && c.sock.backlogged() }
