package engine

import (
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Reads and writes on plain TCP sockets that never block, through
// syscall.RawConn so the descriptor cannot be closed under them. The
// callbacks are method values made once per reader or writer object, so a
// call allocates nothing.

// inlineWrites: senders write to plain TCP sockets themselves (writer.go).
const inlineWrites = true

// rawReader reads into its buffer without blocking. A poller owns one.
type rawReader struct {
	buf []byte
	n   int
	err error
	fn  func(uintptr) bool
}

func newRawReader(size int) *rawReader {
	r := &rawReader{buf: make([]byte, size)}
	r.fn = r.do
	return r
}

func (r *rawReader) do(fd uintptr) bool {
	for {
		n, err := sysRead(int(fd), r.buf)
		if err == unix.EINTR {
			continue
		}
		r.n, r.err = n, err
		return true // never wait: epoll says when to read
	}
}

// read reads what the socket holds: n > 0 bytes, or unix.EAGAIN when
// it holds nothing, or n == 0 and no error at the end of the stream.
func (r *rawReader) read(raw syscall.RawConn) (int, error) {
	if err := raw.Read(r.fn); err != nil {
		return 0, err
	}
	return r.n, r.err
}

// errRawEmpty is readInto's error when the socket holds nothing.
var errRawEmpty = unix.EAGAIN

// readInto is read into p instead of the reader's buffer: a TLS
// connection's reads land in crypto/tls's own buffer (tlssock.go).
func (r *rawReader) readInto(raw syscall.RawConn, p []byte) (int, error) {
	buf := r.buf
	r.buf = p
	n, err := r.read(raw)
	r.buf = buf
	return n, err
}

// rawWriter writes without blocking; senders borrow one from the pool.
type rawWriter struct {
	b   []byte
	n   int
	err error
	fn  func(uintptr) bool
}

var rawWriters = sync.Pool{New: func() any {
	w := &rawWriter{}
	w.fn = w.do
	return w
}}

func (w *rawWriter) do(fd uintptr) bool {
	for {
		n, err := sysWrite(int(fd), w.b)
		if err == unix.EINTR {
			continue
		}
		w.n, w.err = n, err
		return true // never wait: a full socket is the writer goroutine's job
	}
}

// writeNonblock writes as much of b as the socket takes now. n < len(b)
// with a nil error means the socket is full.
func writeNonblock(raw syscall.RawConn, b []byte) (int, error) {
	w := rawWriters.Get().(*rawWriter)
	w.b = b
	err := raw.Write(w.fn)
	n, werr := w.n, w.err
	w.b, w.err = nil, nil
	rawWriters.Put(w)
	switch {
	case err != nil:
		return 0, err
	case werr == unix.EAGAIN:
		return 0, nil
	}
	return n, werr
}

// shutdownSocket shuts a socket down both ways: epoll reports it readable
// (the end of the stream) and blocked writes fail. Unlike closing it, it
// leaves the descriptor to its owner.
func shutdownSocket(raw syscall.RawConn) {
	_ = raw.Control(shutdownFD)
}

func shutdownFD(fd uintptr) { _ = unix.Shutdown(int(fd), unix.SHUT_RDWR) }
