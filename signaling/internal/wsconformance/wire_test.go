package wsconformance

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
)

// The wire format of RFC 6455 §5.2, written from the RFC for this suite
// alone: it shares no code with the engine under test.

// Opcodes (§5.2, §11.8).
const (
	opCont   byte = 0x0
	opText   byte = 0x1
	opBinary byte = 0x2
	opClose  byte = 0x8
	opPing   byte = 0x9
	opPong   byte = 0xA
)

// Length encodings for frame.length: how the payload length is written.
const (
	lenMinimal = 0  // the shortest form, as §5.2 requires of senders
	len7       = 7  // the 7-bit field alone (payload up to 125 bytes)
	len16      = 16 // 126, then a 16-bit length
	len64      = 64 // 127, then a 64-bit length
)

// frame is one client frame as it goes on the wire.
type frame struct {
	fin      bool
	rsv      byte // RSV1..RSV3 as a 3-bit number (RSV1 is 4)
	op       byte
	payload  []byte
	unmasked bool // leave out the mask (clients must mask, §5.3)
	length   int  // lenMinimal, len7, len16 or len64
	// declared, when not nil, is the length written in the header instead
	// of len(payload): for headers that announce more than is sent.
	declared *uint64
	// zeroKey masks with the key 0, which is valid and leaves the payload
	// as it is.
	zeroKey bool
}

// bytes encodes f: header, masking key and the masked payload.
func (f frame) bytes() []byte {
	b0 := f.op&0x0F | (f.rsv&0x7)<<4
	if f.fin {
		b0 |= 0x80
	}
	n := uint64(len(f.payload))
	if f.declared != nil {
		n = *f.declared
	}
	form := f.length
	if form == lenMinimal {
		switch {
		case n <= 125:
			form = len7
		case n <= 0xFFFF:
			form = len16
		default:
			form = len64
		}
	}
	var maskBit byte = 0x80
	if f.unmasked {
		maskBit = 0
	}
	out := make([]byte, 0, 14+len(f.payload))
	switch form {
	case len7:
		if n > 125 {
			panic(fmt.Sprintf("a length of %d does not fit 7 bits", n))
		}
		out = append(out, b0, maskBit|byte(n))
	case len16:
		if n > 0xFFFF {
			panic(fmt.Sprintf("a length of %d does not fit 16 bits", n))
		}
		out = append(out, b0, maskBit|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	case len64:
		out = append(out, b0, maskBit|127)
		out = binary.BigEndian.AppendUint64(out, n)
	default:
		panic("unknown length form")
	}
	if f.unmasked {
		return append(out, f.payload...)
	}
	var key [4]byte
	if !f.zeroKey {
		// A fresh key per frame, as §5.3 asks; a key that happened to be
		// zero would only make the test weaker, never wrong.
		_, _ = rand.Read(key[:])
	}
	out = append(out, key[:]...)
	for i, c := range f.payload {
		out = append(out, c^key[i%4])
	}
	return out
}

// Frame constructors for the common cases.

func textFrame(p []byte) frame   { return frame{fin: true, op: opText, payload: p} }
func binaryFrame(p []byte) frame { return frame{fin: true, op: opBinary, payload: p} }
func pingFrame(p []byte) frame   { return frame{fin: true, op: opPing, payload: p} }
func pongFrame(p []byte) frame   { return frame{fin: true, op: opPong, payload: p} }

// fragment is one frame of a fragmented message: op is opText or
// opBinary for the first, opCont for the others.
func fragment(op byte, fin bool, p []byte) frame { return frame{fin: fin, op: op, payload: p} }

// closeFrame is a close frame with a status code and reason (§5.5.1).
func closeFrame(code uint16, reason string) frame {
	return frame{fin: true, op: opClose, payload: append(binary.BigEndian.AppendUint16(nil, code), reason...)}
}

// rawClose is a close frame with exactly payload p (empty, or malformed).
func rawClose(p []byte) frame { return frame{fin: true, op: opClose, payload: p} }

// wire concatenates the encodings of frames.
func wire(frames ...frame) []byte {
	var b []byte
	for _, f := range frames {
		b = append(b, f.bytes()...)
	}
	return b
}

// fragments splits payload into frames of at most size bytes, the first
// with opcode op, the last with FIN set.
func fragments(op byte, payload []byte, size int) []frame {
	var fs []frame
	for first := true; first || len(payload) > 0; first = false {
		n := min(size, len(payload))
		fop := opCont
		if first {
			fop = op
		}
		fs = append(fs, fragment(fop, n == len(payload), payload[:n]))
		payload = payload[n:]
	}
	return fs
}

// serverFrame is one frame as the server sent it.
type serverFrame struct {
	fin     bool
	rsv     byte
	op      byte
	masked  bool
	payload []byte
}

// maxServerFrame bounds what readServerFrame allocates for one payload, so
// that a garbled header fails the test instead of exhausting memory.
const maxServerFrame = 16 << 20

// readServerFrame reads one frame from br.
func readServerFrame(br *bufio.Reader) (serverFrame, error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return serverFrame{}, err
	}
	f := serverFrame{
		fin:    h[0]&0x80 != 0,
		rsv:    h[0] >> 4 & 0x7,
		op:     h[0] & 0x0F,
		masked: h[1]&0x80 != 0,
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var l [2]byte
		if _, err := io.ReadFull(br, l[:]); err != nil {
			return serverFrame{}, fmt.Errorf("reading a 16-bit length: %w", err)
		}
		n = uint64(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		if _, err := io.ReadFull(br, l[:]); err != nil {
			return serverFrame{}, fmt.Errorf("reading a 64-bit length: %w", err)
		}
		n = binary.BigEndian.Uint64(l[:])
	}
	if n > maxServerFrame {
		return serverFrame{}, fmt.Errorf("server frame of %d bytes", n)
	}
	var key [4]byte
	if f.masked {
		if _, err := io.ReadFull(br, key[:]); err != nil {
			return serverFrame{}, fmt.Errorf("reading a masking key: %w", err)
		}
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(br, f.payload); err != nil {
		return serverFrame{}, fmt.Errorf("reading a payload of %d bytes: %w", n, err)
	}
	for i := range f.payload {
		f.payload[i] ^= key[i%4]
	}
	return f, nil
}
