package wsproto

import (
	"bufio"
	"net"
)

// NewClientConn wraps nc, already past the opening handshake, as a client
// Conn, so tests can drive one over a fake connection.
func NewClientConn(nc net.Conn, readBuf int) *Conn {
	return &Conn{nc: nc, br: bufio.NewReaderSize(nc, readBuf), key: 1, maxMessage: 64 << 20}
}
