package wsproto

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
)

// FuzzFrameReader: whatever a client sends, the frame reader never panics,
// never delivers a message over the limit or a control frame over 125
// bytes, and delivers the same events and the same error whether the bytes
// come whole, cut in two anywhere, or one at a time.
//
// The seed corpus is testdata/fuzz/FuzzFrameReader (every frame kind, split
// and fragmented messages, each protocol violation), plus the streams below.
func FuzzFrameReader(f *testing.F) {
	k := [4]byte{0x11, 0x22, 0x33, 0x44}
	f.Add(tfEncode(tfText(`{"action":"announce"}`), tfFrame{fin: true, op: OpPing, payload: []byte("hi"), key: k}), uint16(7))
	f.Add(tfEncode(tfFrame{op: OpText, payload: []byte("a"), key: k}, tfFrame{fin: true, op: OpContinuation, payload: []byte("b"), key: k}), uint16(3))
	f.Add(tfEncode(tfFrame{fin: true, op: OpBinary, payload: make([]byte, 200), key: k}), uint16(100))
	f.Add(tfEncode(tfFrame{fin: true, op: OpText, payload: make([]byte, 600), key: k}), uint16(1))
	f.Add([]byte{0x81, 0x05, 'h', 'e', 'l', 'l', 'o'}, uint16(2))
	const max = 512
	f.Fuzz(func(t *testing.T, stream []byte, cut uint16) {
		whole, werr, r := tfFeed(max, stream)
		r.Release()
		for _, e := range whole.events {
			switch {
			case !e.op.IsControl() && len(e.payload) > max:
				t.Fatalf("message of %d bytes, limit %d", len(e.payload), max)
			case !e.op.IsControl() && e.op != OpText && e.op != OpBinary:
				t.Fatalf("message with opcode %x", e.op)
			case e.op.IsControl() && (len(e.payload) > MaxControlPayload || (e.op != OpClose && e.op != OpPing && e.op != OpPong)):
				t.Fatalf("bad control event %v", e)
			}
		}
		at := 0
		if len(stream) > 0 {
			at = int(cut) % (len(stream) + 1)
		}
		split, serr, r := tfFeed(max, stream[:at], stream[at:])
		r.Release()
		if serr != werr || split.String() != whole.String() {
			t.Fatalf("cut at %d: %v %s, whole: %v %s", at, serr, split, werr, whole)
		}
		if len(stream) > 4096 {
			return
		}
		pieces := make([][]byte, len(stream))
		for i := range stream {
			pieces[i] = stream[i : i+1]
		}
		bytewise, berr, r := tfFeed(max, pieces...)
		r.Release()
		if berr != werr || bytewise.String() != whole.String() {
			t.Fatalf("byte by byte: %v %s, whole: %v %s", berr, bytewise, werr, whole)
		}
	})
}

// FuzzFrameRoundTrip: any message, masked with any key and cut into
// fragments of any size with pings between them, comes out of the frame
// reader as it went in, also when the stream arrives in small pieces.
func FuzzFrameRoundTrip(f *testing.F) {
	f.Add([]byte(`{"action":"announce","info_hash":"x"}`), uint32(0x01020304), uint8(0), uint8(0))
	f.Add([]byte("fragmented message"), uint32(0xffffffff), uint8(5), uint8(3))
	f.Add(bytes.Repeat([]byte{0x80}, 300), uint32(7), uint8(130), uint8(64))
	f.Add([]byte{}, uint32(0), uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, msg []byte, key uint32, frag, piece uint8) {
		var k [4]byte
		binary.LittleEndian.PutUint32(k[:], key)
		var frames []tfFrame
		if frag == 0 || len(msg) <= int(frag) {
			frames = append(frames, tfFrame{fin: true, op: OpBinary, payload: msg, key: k})
		} else {
			for i := 0; i < len(msg); i += int(frag) {
				op := OpContinuation
				if i == 0 {
					op = OpText
				}
				end := min(i+int(frag), len(msg))
				frames = append(frames, tfFrame{fin: end == len(msg), op: op, payload: msg[i:end], key: k})
				if end < len(msg) {
					frames = append(frames, tfFrame{fin: true, op: OpPing, payload: msg[i:min(i+3, end)], key: k})
				}
			}
		}
		stream := tfEncode(frames...)
		var pieces [][]byte
		step := max(int(piece), 1)
		for i := 0; i < len(stream); i += step {
			pieces = append(pieces, stream[i:min(i+step, len(stream))])
		}
		s, err, r := tfFeed(int64(len(msg)), pieces...)
		r.Release()
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		var op Opcode
		n := 0
		for _, e := range s.events {
			if !e.op.IsControl() {
				got, op = []byte(e.payload), e.op
				n++
			}
		}
		if n != 1 || !bytes.Equal(got, msg) || op != frames[0].op {
			t.Fatalf("%d messages, got %q (opcode %x), want %q (opcode %x)", n, got, op, msg, frames[0].op)
		}
	})
}

// FuzzFrameReaderPieces: whatever a client sends, cut into pieces of any
// sizes (as reads from a socket, or TLS records, cut it), the frame reader
// delivers the same messages with the same opcodes, the same control
// frames, and the same error as when the stream comes whole. sizes gives
// the length of each piece in turn (a byte b is b+1 bytes), repeated to
// the end of the stream.
//
// The seed corpus is testdata/fuzz/FuzzFrameReaderPieces (fragmented
// messages with control frames between them, headers of every length
// form, protocol violations midway, too many fragments), plus the streams
// below.
func FuzzFrameReaderPieces(f *testing.F) {
	k := [4]byte{0x0f, 0xf0, 0x3c, 0xc3}
	f.Add(tfEncode(
		tfFrame{op: OpText, payload: []byte("first "), key: k},
		tfFrame{fin: true, op: OpPing, payload: []byte("between"), key: k},
		tfFrame{fin: true, op: OpContinuation, payload: []byte("last"), key: k},
		tfFrame{fin: true, op: OpBinary, payload: bytes.Repeat([]byte{0xAB}, 300), key: k},
	), []byte{0, 6, 1, 200})
	f.Add(tfEncode(tfText(strings.Repeat("é", 200)), tfFrame{fin: true, op: OpClose, payload: []byte{0x03, 0xe8}, key: k}), []byte{2})
	f.Add(tfEncode(tfFrame{fin: true, op: OpText, payload: []byte("long form"), lenForm: 64, key: k}), []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13})
	const max = 1024
	f.Fuzz(func(t *testing.T, stream, sizes []byte) {
		whole, werr, r := tfFeed(max, stream)
		r.Release()
		if len(sizes) == 0 {
			sizes = []byte{0}
		}
		var pieces [][]byte
		for i, at := 0, 0; at < len(stream); i++ {
			n := min(int(sizes[i%len(sizes)])+1, len(stream)-at)
			pieces = append(pieces, stream[at:at+n])
			at += n
		}
		got, gerr, r := tfFeed(max, pieces...)
		r.Release()
		if gerr != werr || got.String() != whole.String() {
			t.Fatalf("in %d pieces: %v %s\nwhole: %v %s", len(pieces), gerr, got, werr, whole)
		}
	})
}

// FuzzConnRead: whatever a server sends, the client Conn never panics,
// returns only text or binary messages within its limit, ends with
// io.EOF, io.ErrUnexpectedEOF, the server's close (*CloseError) or a
// *ProtocolError, and sends back only pongs and at most one close frame,
// the last thing it sends: the echo of the server's, or for a violation
// its code and text.
func FuzzConnRead(f *testing.F) {
	f.Add(cat(sf(true, OpText, "hello"), sf(true, OpPing, "p"), sf(true, OpClose, "\x0f\xa0bye")))
	f.Add(cat(sf(false, OpBinary, "a"), sf(true, OpPong, ""), sf(true, OpContinuation, strings.Repeat("b", 40))))
	f.Add(cat(sf(true, OpText, strings.Repeat("x", 70)), sf(true, OpClose, "\x03\xe8\xff")))
	f.Add(tfEncode(tfText("masked")))
	f.Add([]byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0})
	const max = 64
	f.Fuzz(func(t *testing.T, stream []byte) {
		fc := &scriptConn{in: bytes.NewReader(stream)}
		c := &Conn{nc: fc, br: bufio.NewReaderSize(fc, 32), key: 1, maxMessage: max}
		var err error
		for err == nil {
			var op Opcode
			var msg []byte
			op, msg, err = c.ReadMessageOp()
			if err == nil && (len(msg) > max || (op != OpText && op != OpBinary)) {
				t.Fatalf("message %x of %d bytes", op, len(msg))
			}
		}
		var ce *CloseError
		var pe *ProtocolError
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &ce), errors.As(err, &pe):
		default:
			t.Fatalf("read error %v", err)
		}
		var sent allSink
		var r FrameReader
		defer r.Release()
		if perr := r.feed(fc.out.Bytes(), max, &sent); perr != nil {
			t.Fatalf("the client sent broken frames: %v", perr)
		}
		closes := 0
		for i, e := range sent.events {
			switch {
			case e.op == OpClose:
				closes++
				if i != len(sent.events)-1 {
					t.Fatalf("a frame after the close: %s", sent.String())
				}
			case e.op != OpPong:
				t.Fatalf("the client sent %s", e)
			}
		}
		var want string
		switch {
		case ce != nil && ce.Code != 0:
			want = string(binary.BigEndian.AppendUint16(nil, ce.Code))
		case pe != nil:
			want = string(AppendClosePayload(nil, pe.Code, pe.Text))
		}
		if (ce != nil || pe != nil) != (closes == 1) || closes == 1 && sent.events[len(sent.events)-1].payload != want {
			t.Fatalf("ended with %v; the client sent %s", err, sent.String())
		}
	})
}

// scriptConn is a net.Conn that reads a script and records what is written.
type scriptConn struct {
	net.Conn
	in  *bytes.Reader
	out bytes.Buffer
}

func (s *scriptConn) Read(p []byte) (int, error)  { return s.in.Read(p) }
func (s *scriptConn) Write(p []byte) (int, error) { return s.out.Write(p) }
