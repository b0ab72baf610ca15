package wsconformance

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// A session is one case's connection to the server under test, opened
// with a hand-made handshake, and the expectations a case states about
// what comes back.

// impl is the implementation a target runs.
type impl int

const (
	implTracker impl = iota // the engine under test, as the tracker
	implNodeWS              // the ws npm package, as an echo server
)

// target is a server the cases run against.
type target struct {
	name string
	impl impl
	addr string      // host:port
	tls  *tls.Config // non-nil for wss://
	// maxMessage is the largest message the server takes; one byte more
	// fails the connection with 1009.
	maxMessage int
	// maxHashes bounds the hashes of one scrape message (the tracker's
	// MaxScrapeHashes).
	maxHashes int
}

// ioTimeout bounds every read and write: a case that hangs fails.
const ioTimeout = 10 * time.Second

// session is one connection of a case.
type session struct {
	t   *testing.T
	tg  *target
	nc  net.Conn
	br  *bufio.Reader
	buf []byte // a fragmented server message so far
	bop byte   // its opcode
}

// open dials tg and completes the opening handshake. extra is sent in the
// same write as the request, right behind its headers.
func open(t *testing.T, tg *target, extra []byte) *session {
	t.Helper()
	var nc net.Conn
	var err error
	d := &net.Dialer{Timeout: ioTimeout}
	if tg.tls != nil {
		nc, err = tls.DialWithDialer(d, "tcp", tg.addr, tg.tls)
	} else {
		nc, err = d.Dial("tcp", tg.addr)
	}
	if err != nil {
		t.Fatalf("dialing %s: %v", tg.name, err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	var k [16]byte
	_, _ = rand.Read(k[:])
	key := base64.StdEncoding.EncodeToString(k[:])
	req := "GET /announce HTTP/1.1\r\nHost: " + tg.addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	_ = nc.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := nc.Write(append([]byte(req), extra...)); err != nil {
		t.Fatalf("sending the handshake: %v", err)
	}
	s := &session{t: t, tg: tg, nc: nc, br: bufio.NewReader(nc)}
	resp, err := http.ReadResponse(s.br, nil)
	if err != nil {
		t.Fatalf("reading the handshake response: %v", err)
	}
	_ = resp.Body.Close()
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if resp.StatusCode != http.StatusSwitchingProtocols ||
		resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Fatalf("handshake answered %s with accept %q", resp.Status, resp.Header.Get("Sec-WebSocket-Accept"))
	}
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
		t.Fatalf("server accepted extensions nobody asked for: %q", ext)
	}
	return s
}

// tracker reports whether the session runs against the tracker; cases use
// it only where the tracker differs from ws on purpose.
func (s *session) tracker() bool { return s.tg.impl == implTracker }

// send writes frames in one write.
func (s *session) send(frames ...frame) { s.t.Helper(); s.write(wire(frames...)) }

func (s *session) write(b []byte) {
	s.t.Helper()
	_ = s.nc.SetWriteDeadline(time.Now().Add(ioTimeout))
	if _, err := s.nc.Write(b); err != nil {
		s.t.Fatalf("writing %d bytes: %v", len(b), err)
	}
}

// pause is the gap between the writes of chunked and dripped input, long
// enough that the server reads each write on its own.
const pause = time.Millisecond

// sendChunked writes b in writes of size bytes, pausing between them. It
// stops quietly at a write error: a server that failed the connection
// midway may have closed it, and what the case expects next (its close
// frame) says whether that was right.
func (s *session) sendChunked(b []byte, size int) {
	s.t.Helper()
	for len(b) > 0 {
		n := min(size, len(b))
		_ = s.nc.SetWriteDeadline(time.Now().Add(ioTimeout))
		if _, err := s.nc.Write(b[:n]); err != nil {
			return
		}
		b = b[n:]
		if len(b) > 0 {
			time.Sleep(pause)
		}
	}
}

// drip writes frames one byte at a time.
func (s *session) drip(frames ...frame) { s.t.Helper(); s.sendChunked(wire(frames...), 1) }

// next returns the next whole message or control frame the server sends.
// Server frames must be unmasked (§5.1) and have no RSV bit set, since no
// extension was negotiated (§5.2).
func (s *session) next() (serverFrame, error) {
	for {
		_ = s.nc.SetReadDeadline(time.Now().Add(ioTimeout))
		f, err := readServerFrame(s.br)
		if err != nil {
			return f, err
		}
		switch {
		case f.masked:
			return f, errors.New("the server masked a frame")
		case f.rsv != 0:
			return f, fmt.Errorf("the server set RSV bits %03b", f.rsv)
		case f.op >= opClose:
			if !f.fin || len(f.payload) > 125 {
				return f, fmt.Errorf("the server sent a control frame of %d bytes, FIN %v", len(f.payload), f.fin)
			}
			return f, nil
		case f.op == opCont:
			if s.buf == nil {
				return f, errors.New("the server sent a continuation frame without a message")
			}
			s.buf = append(s.buf, f.payload...)
		case s.buf != nil:
			return f, errors.New("the server began a message inside a fragmented one")
		default:
			s.bop, s.buf = f.op, append([]byte{}, f.payload...)
		}
		if f.fin {
			f.op, f.payload, f.fin = s.bop, s.buf, true
			s.buf = nil
			if f.op == opText && !utf8.Valid(f.payload) {
				return f, errors.New("the server sent a text message that is not UTF-8")
			}
			return f, nil
		}
	}
}

// must returns the next message or control frame, failing the case on an
// error.
func (s *session) must(what string) serverFrame {
	s.t.Helper()
	f, err := s.next()
	if err != nil {
		s.t.Fatalf("want %s, got %v", what, err)
	}
	return f
}

func describe(f serverFrame) string {
	p := f.payload
	if len(p) > 80 {
		return fmt.Sprintf("opcode %#x with %d bytes: %q…", f.op, len(p), p[:80])
	}
	return fmt.Sprintf("opcode %#x: %q", f.op, p)
}

// expectReply checks that the next thing the server sends answers m: the
// same message back from an echo server; from the tracker, a scrape reply
// that names every hash of m, or a failure when m is not a scrape.
func (s *session) expectReply(m message) {
	s.t.Helper()
	f := s.must("the reply to a message")
	if !s.tracker() {
		if f.op != m.op || !bytes.Equal(f.payload, m.payload) {
			s.t.Fatalf("want the echo of a message of %d bytes, opcode %#x; got %s", len(m.payload), m.op, describe(f))
		}
		return
	}
	if f.op != opText {
		s.t.Fatalf("want a text reply, got %s", describe(f))
	}
	var reply struct {
		Action  string                     `json:"action"`
		Failure string                     `json:"failure reason"`
		Files   map[string]json.RawMessage `json:"files"`
	}
	if err := json.Unmarshal(f.payload, &reply); err != nil {
		s.t.Fatalf("the tracker's reply is not JSON (%v): %s", err, describe(f))
	}
	if m.hashes == nil {
		if reply.Failure == "" {
			s.t.Fatalf("want a failure for a message that is no scrape, got %s", describe(f))
		}
		return
	}
	if reply.Action != "scrape" || reply.Failure != "" || len(reply.Files) != len(m.hashes) {
		s.t.Fatalf("want a scrape reply naming %d hashes, got %s", len(m.hashes), describe(f))
	}
	for i, h := range m.hashes {
		if reply.Files[h] == nil {
			s.t.Fatalf("the scrape reply misses hash %d of %d: the message did not arrive intact", i, len(m.hashes))
		}
	}
}

// expectPong checks that the next frame is a pong with payload p.
func (s *session) expectPong(p []byte) {
	s.t.Helper()
	f := s.must("a pong")
	if f.op != opPong || !bytes.Equal(f.payload, p) {
		s.t.Fatalf("want a pong of %q, got %s", p, describe(f))
	}
}

// noCode stands for a close frame without a status code.
const noCode = 0

// expectClose checks that the next frame is a close frame with one of
// codes (noCode: an empty payload) and a UTF-8 reason, and that the server
// then ends the TCP connection.
func (s *session) expectClose(codes ...uint16) {
	s.t.Helper()
	f := s.must(fmt.Sprintf("a close frame with code %v", codes))
	if f.op != opClose || len(f.payload) == 1 {
		s.t.Fatalf("want a close frame with code %v, got %s", codes, describe(f))
	}
	code := uint16(noCode)
	if len(f.payload) >= 2 {
		code = binary.BigEndian.Uint16(f.payload)
		if !utf8.Valid(f.payload[2:]) {
			s.t.Fatalf("the close reason is not UTF-8: %q", f.payload[2:])
		}
	}
	ok := false
	for _, c := range codes {
		ok = ok || c == code
	}
	if !ok {
		s.t.Fatalf("close code %d (%q), want one of %v", code, f.payload[min(2, len(f.payload)):], codes)
	}
	s.expectEnd()
}

// expectEnd checks that the server sends nothing more and ends the TCP
// connection. After a close frame, RFC 6455 §7.1.1 has the server close
// the TCP connection first; both implementations do so without waiting
// for the client, also when they failed the connection.
func (s *session) expectEnd() {
	s.t.Helper()
	_ = s.nc.SetReadDeadline(time.Now().Add(ioTimeout))
	f, err := readServerFrame(s.br)
	switch {
	case err == nil:
		s.t.Fatalf("want the end of the connection, got %s", describe(f))
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		// The end of the stream; or, when a case wrote after the server
		// had closed, the reset that answered it (EPIPE is how Linux
		// reports a reset in CLOSE_WAIT).
	default:
		s.t.Fatalf("want the end of the connection, got %v", err)
	}
}
