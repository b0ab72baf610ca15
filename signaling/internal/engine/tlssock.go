package engine

import (
	"crypto/tls"
	"errors"
	"io"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// TLS connections on the poll path. crypto/tls reads from and writes to a
// net.Conn; for the connections of NewTLSListener that net.Conn is a
// tlsSocket, which is the TCP connection itself until the engine takes the
// WebSocket over, and from then on never blocks:
//
//   - Reads are raw non-blocking reads. When the socket is empty a read
//     fails with errWouldBlock, a temporary net.Error: crypto/tls keeps a
//     partial record across such an error (Conn.readRecordOrCCS poisons the
//     connection only for errors that are not temporary), so the poller
//     calls tls.Conn.Read until it would block, and epoll says when to go
//     on. The TLS handshake and the HTTP request come before, with blocking
//     reads in net/http's goroutine, bounded by the server's timeouts: a
//     client that sends nothing, or drips its ClientHello, costs no poller
//     any time.
//   - Writes never fail half-way, which would poison the connection: what
//     the socket does not take at once is kept, in order, in a backlog, and
//     crypto/tls is told all was written. The engine then has a writer
//     goroutine drain the backlog with blocking writes (writer.go), and
//     sends nothing more meanwhile, so the backlog is bounded by one batch
//     of the send queue plus what crypto/tls writes on its own (alerts, key
//     updates).

// errWouldBlock is what a tlsSocket's read returns when the socket is empty
// (or its turn is over). Temporary, so crypto/tls keeps its state.
var errWouldBlock error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "signaling: read would block" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

// errBacklogFull fails a write that would grow a backlog past its bound:
// only crypto/tls's own writes can, for a client that keeps asking for
// them (key updates) without reading.
var errBacklogFull = errors.New("signaling: TLS send backlog full")

// tlsIdleAfter is how often a poller looks for idle TLS connections, whose
// crypto/tls buffers then go (tlsidle_linux.go).
const tlsIdleAfter = time.Second

// backlogSlack is what a backlog may hold beyond the send queue's bytes:
// TLS record overhead of one batch, and crypto/tls's own small writes.
const backlogSlack = 64 << 10

// NewTLSListener returns a listener like tls.NewListener's, whose
// connections, once upgraded to WebSockets, the engine's pollers read
// (where there are pollers): an idle wss:// connection then costs no
// goroutine. Plain HTTPS requests are served as through tls.NewListener.
func NewTLSListener(inner net.Listener, config *tls.Config) net.Listener {
	return &tlsListener{Listener: inner, config: config}
}

type tlsListener struct {
	net.Listener
	config *tls.Config
}

func (l *tlsListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		if raw, err := tc.SyscallConn(); err == nil {
			c = &tlsSocket{tcp: tc, raw: raw}
		}
	}
	return tls.Server(c, l.config), nil
}

// tlsSocket is the TCP connection under a *tls.Conn of NewTLSListener.
// Every idle wss:// connection holds one: its fields fit 80 bytes.
type tlsSocket struct {
	tcp *net.TCPConn
	raw syscall.RawConn

	// Read side, touched only by whoever reads the connection: net/http's
	// goroutine until the upgrade, then the connection's read side.
	rd *rawReader // the reader of this turn; nil between turns

	backlog []byte // ciphertext the socket has not taken yet; under wmu
	limit   int32  // most bytes backlog may hold
	wmu     sync.Mutex

	nonblock atomic.Bool // writes never block (the engine took the connection)

	// More of the read side.
	reads   uint8 // raw reads left in this turn
	polled  bool  // reads never block
	drained bool  // the socket was found empty or short this turn
	busy    bool  // a turn came since the poller last looked (tlsidle_linux.go)
	listed  bool  // on its poller's list of connections to look at
}

// takeOver makes writes non-blocking. It runs when the engine takes the
// connection, before any frame is written; queueBytes bounds the engine's
// own share of a backlog.
func (s *tlsSocket) takeOver(queueBytes int) {
	s.limit = int32(min(queueBytes, math.MaxInt32-backlogSlack) + backlogSlack)
	s.nonblock.Store(true)
}

// beginTurn starts a read turn of the read side with rd, which may make
// up to maxReads raw reads; endTurn ends it.
func (s *tlsSocket) beginTurn(rd *rawReader, maxReads uint8) {
	s.polled, s.rd, s.reads, s.drained = true, rd, maxReads, false
}

func (s *tlsSocket) endTurn() { s.rd = nil }

func (s *tlsSocket) Read(p []byte) (int, error) {
	if !s.polled {
		return s.tcp.Read(p)
	}
	if s.rd == nil || s.drained || s.reads == 0 || len(p) == 0 {
		// Outside a turn, or the turn is over: the rest waits for epoll,
		// which reports the socket again while it holds bytes.
		return 0, errWouldBlock
	}
	s.reads--
	n, err := s.rd.readInto(s.raw, p)
	switch {
	case err == errRawEmpty:
		s.drained = true
		return 0, errWouldBlock
	case err != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: s.tcp.LocalAddr(), Addr: s.tcp.RemoteAddr(), Err: err}
	case n == 0:
		return 0, io.EOF
	case n < len(p):
		// Most likely all there was; if not, epoll says so again.
		s.drained = true
	}
	return n, nil
}

func (s *tlsSocket) Write(p []byte) (int, error) {
	if !s.nonblock.Load() {
		return s.tcp.Write(p)
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	rest := p
	if len(s.backlog) == 0 {
		n, err := writeNonblock(s.raw, p)
		if err != nil {
			return 0, &net.OpError{Op: "write", Net: "tcp", Source: s.tcp.LocalAddr(), Addr: s.tcp.RemoteAddr(), Err: err}
		}
		rest = p[n:]
	}
	if len(rest) > 0 {
		if len(s.backlog)+len(rest) > int(s.limit) {
			return 0, errBacklogFull
		}
		s.backlog = append(s.backlog, rest...)
	}
	return len(p), nil
}

// backlogged reports whether written bytes wait for the socket.
func (s *tlsSocket) backlogged() bool {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return len(s.backlog) > 0
}

// drain writes the backlog, blocking as the socket requires (the write
// deadline bounds it), until it is empty. Only the engine's writer calls
// it. Writes that come meanwhile append to the backlog, so order holds:
// nothing is written around it while it is not empty.
func (s *tlsSocket) drain() error {
	for {
		s.wmu.Lock()
		b := s.backlog
		s.wmu.Unlock()
		if len(b) == 0 {
			return nil
		}
		// Appends meanwhile only touch bytes past b.
		n, err := s.tcp.Write(b)
		s.wmu.Lock()
		s.backlog = s.backlog[n:]
		if len(s.backlog) == 0 {
			s.backlog = nil // an idle connection keeps no buffer
		}
		s.wmu.Unlock()
		if err != nil {
			return err
		}
	}
}

func (s *tlsSocket) Close() error {
	s.wmu.Lock()
	s.backlog = nil
	s.wmu.Unlock()
	return s.tcp.Close()
}

func (s *tlsSocket) LocalAddr() net.Addr                { return s.tcp.LocalAddr() }
func (s *tlsSocket) RemoteAddr() net.Addr               { return s.tcp.RemoteAddr() }
func (s *tlsSocket) SetDeadline(t time.Time) error      { return s.tcp.SetDeadline(t) }
func (s *tlsSocket) SetReadDeadline(t time.Time) error  { return s.tcp.SetReadDeadline(t) }
func (s *tlsSocket) SetWriteDeadline(t time.Time) error { return s.tcp.SetWriteDeadline(t) }

// pollable returns the TCP connection under nc that pollers can serve, and
// its tlsSocket when nc is TLS; nil when they cannot (TLS not from
// NewTLSListener, or not TCP).
func pollable(nc net.Conn) (*net.TCPConn, *tlsSocket) {
	switch nc := nc.(type) {
	case *net.TCPConn:
		return nc, nil
	case *tls.Conn:
		if s, ok := nc.NetConn().(*tlsSocket); ok {
			return s.tcp, s
		}
	}
	return nil, nil
}
