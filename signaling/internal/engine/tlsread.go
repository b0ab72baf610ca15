package engine

import (
	"crypto/tls"
	"errors"
)

// The read side of a polled TLS connection (see tlssock.go): a poller, or
// Start, calls tls.Conn.Read until it would block. crypto/tls first hands
// out what it holds already (the rest of a record, records read together
// with earlier ones), and reads the socket only when it needs more bytes.
// A turn of the read side makes at most maxReadsPerWake raw reads, after
// which crypto/tls finishes the records it has and the rest waits for
// epoll, which reports the socket again while it holds bytes: a client
// that sends without pause cannot keep its poller to itself.

// readTLS serves a turn of c's read side: it reads records through
// crypto/tls into buf (a poller's buffer: at most one record of plaintext
// per Read) and consumes them; rd makes the raw reads. It reports whether
// to go on reading; when not, the readEnd says why.
func (c *Conn) readTLS(buf []byte, rd *rawReader) (readEnd, bool) {
	c.sock.beginTurn(rd, maxReadsPerWake)
	defer c.sock.endTurn()
	for {
		n, err := c.nc.Read(buf)
		if n > 0 {
			if end, more := c.consume(buf[:n]); !more {
				return end, false
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, errWouldBlock):
			return readEnd{}, true
		default:
			return c.readError(err), false
		}
	}
}

// startTLS is the first turn of a TLS connection's read side, right after
// it was registered with its poller: crypto/tls may hold records it read
// from the socket together with the upgrade request, and epoll, which
// reports only what is still in the socket, would never say so. Then the
// buffers of the handshake go (tlsrelease.go). It runs in Start, with the
// read lock held.
func (c *Conn) startTLS() {
	bp := readBufPool.Get().(*[]byte)
	end, more := c.readTLS(*bp, newRawReader(0))
	readBufPool.Put(bp)
	if !more {
		c.finish(end)
		return
	}
	releaseTLSBuffers(c.nc.(*tls.Conn))
	c.afterTLSRead()
}

// afterTLSRead runs after a turn of the read side that did not end the
// connection: crypto/tls may have written on its own while reading (the
// answer to a key update), and what the socket did not take needs a
// writer.
func (c *Conn) afterTLSRead() {
	if c.sock.backlogged() {
		c.kickWriter()
	}
}
