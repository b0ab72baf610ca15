package signaling_test

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// A hand-made WebSocket client, for what a well-behaved library will not
// send: broken frames, fragments with pings between them, frames right
// behind the handshake, close handshakes it never answers.

// Opcodes as on the wire (RFC 6455 §5.2).
const (
	opCont   = 0x0
	opText   = 0x1
	opBinary = 0x2
	opClose  = 0x8
	opPing   = 0x9
	opPong   = 0xA
)

// frame encodes one client frame, masked unless unmasked is set.
func frame(fin bool, op byte, payload []byte) []byte { return rawFrame(fin, 0, op, payload, false) }

func rawFrame(fin bool, rsv, op byte, payload []byte, unmasked bool) []byte {
	b0 := op | rsv
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	mask := byte(0x80)
	if unmasked {
		mask = 0
	}
	switch n := len(payload); {
	case n > 0xFFFF:
		out = append(out, mask|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	case n > 125:
		out = append(out, mask|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, mask|byte(n))
	}
	if unmasked {
		return append(out, payload...)
	}
	var key [4]byte
	_, _ = rand.Read(key[:])
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i%4])
	}
	return out
}

func textFrame(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return frame(true, opText, b)
}

func closePayload(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

type rawClient struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

// handshakeRequest is an opening handshake for key.
func handshakeRequest(key string) string {
	return "GET /announce HTTP/1.1\r\nHost: tracker.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
}

func newKey() string {
	var k [16]byte
	_, _ = rand.Read(k[:])
	return base64.StdEncoding.EncodeToString(k[:])
}

func acceptFor(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// rawDial opens a WebSocket by hand, sending extra right behind the
// request headers in the same write.
func (tr *tracker) rawDial(t *testing.T, extra []byte) *rawClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", tr.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	key := newKey()
	if _, err := nc.Write(append([]byte(handshakeRequest(key)), extra...)); err != nil {
		t.Fatal(err)
	}
	rc := &rawClient{t: t, nc: nc, br: bufio.NewReader(nc)}
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != acceptFor(key) {
		t.Fatalf("handshake answered %s, accept %q", resp.Status, resp.Header.Get("Sec-WebSocket-Accept"))
	}
	return rc
}

func (rc *rawClient) write(frames ...[]byte) {
	rc.t.Helper()
	var b []byte
	for _, f := range frames {
		b = append(b, f...)
	}
	if _, err := rc.nc.Write(b); err != nil {
		rc.t.Fatalf("write: %v", err)
	}
}

// readFrame reads one server frame, checking it is final and unmasked as
// the tracker's frames always are.
func (rc *rawClient) readFrame() (op byte, payload []byte, err error) {
	_ = rc.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	var h [2]byte
	if _, err := io.ReadFull(rc.br, h[:]); err != nil {
		return 0, nil, err
	}
	if h[0]&0x80 == 0 || h[0]&0x70 != 0 || h[1]&0x80 != 0 {
		return 0, nil, errors.New("server frame not final, with RSV bits or masked")
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var l [2]byte
		if _, err := io.ReadFull(rc.br, l[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		if _, err := io.ReadFull(rc.br, l[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(l[:])
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(rc.br, payload); err != nil {
		return 0, nil, err
	}
	return h[0] & 0x0F, payload, nil
}

// next returns the next message, skipping the tracker's pings.
func (rc *rawClient) next() msg {
	rc.t.Helper()
	for {
		op, p, err := rc.readFrame()
		if err != nil {
			rc.t.Fatalf("reading a message: %v", err)
		}
		switch op {
		case opPing:
			continue
		case opText:
			var m msg
			if err := json.Unmarshal(p, &m); err != nil {
				rc.t.Fatalf("server sent invalid JSON: %q", p)
			}
			return m
		}
		rc.t.Fatalf("want a text frame, got opcode %x: %q", op, p)
	}
}

// control returns the next control frame other than a ping.
func (rc *rawClient) control() (byte, []byte) {
	rc.t.Helper()
	for {
		op, p, err := rc.readFrame()
		if err != nil {
			rc.t.Fatalf("reading a control frame: %v", err)
		}
		if op >= opClose && op != opPing {
			return op, p
		}
		if op < opClose {
			rc.t.Fatalf("want a control frame, got opcode %x: %q", op, p)
		}
	}
}

// expectClose reads the tracker's close frame, checks its code, and checks
// that the tracker then closes the socket.
func (rc *rawClient) expectClose(code uint16) string {
	rc.t.Helper()
	op, p := rc.control()
	if op != opClose || len(p) < 2 {
		rc.t.Fatalf("want a close frame, got opcode %x: %q", op, p)
	}
	if got := binary.BigEndian.Uint16(p); got != code {
		rc.t.Fatalf("close code %d (%q), want %d", got, p[2:], code)
	}
	rc.expectEOF()
	return string(p[2:])
}

// expectEOF checks that the tracker closed the socket.
func (rc *rawClient) expectEOF() {
	rc.t.Helper()
	_ = rc.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if b, err := rc.br.ReadByte(); err == nil {
		rc.t.Fatalf("byte %x after the close frame, want the end of the stream", b)
	} else if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		rc.t.Fatalf("want the end of the stream, got %v", err)
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}
