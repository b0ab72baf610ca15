package wsproto

import (
	"encoding/binary"
	"math/bits"
)

// Opcode is a frame's opcode (RFC 6455 §5.2).
type Opcode byte

// The opcodes. Opcodes from 0x8 up are control frames.
const (
	OpContinuation Opcode = 0x0
	OpText         Opcode = 0x1
	OpBinary       Opcode = 0x2
	OpClose        Opcode = 0x8
	OpPing         Opcode = 0x9
	OpPong         Opcode = 0xA
)

// IsControl reports whether op is a control frame's opcode.
func (op Opcode) IsControl() bool { return op&0x08 != 0 }

// Close codes (RFC 6455 §7.4.1).
const (
	CloseNormal          uint16 = 1000
	CloseGoingAway       uint16 = 1001
	CloseProtocolError   uint16 = 1002
	CloseInvalidPayload  uint16 = 1007
	ClosePolicyViolation uint16 = 1008
	CloseMessageTooBig   uint16 = 1009
	CloseInternalError   uint16 = 1011
)

// MaxControlPayload bounds ping, pong and close payloads (§5.5).
const MaxControlPayload = 125

// MaxFragments bounds the frames of one data message. RFC 6455 sets no
// limit, but every frame costs a header to parse, and without a bound a
// client could keep one message open for ever with empty continuation
// frames, which never reach the size limit. No browser fragments what it
// sends; 4096 frames leave room for any client that does (the ws npm
// package stops at 16,384).
const MaxFragments = 4096

// MaxServerHeader is the longest header of a frame a server sends: two
// bytes and a 64-bit length, never a mask. Outgoing messages are encoded
// behind this much free space so the header can be put in front without
// copying the payload (PutServerHeader).
const MaxServerHeader = 10

// MaxClientHeader is the longest header of a frame a client sends: two
// bytes, a 64-bit length and the masking key (PutClientFrame).
const MaxClientHeader = 14

// appendHeader appends a frame header: b0 is the first byte (FIN, RSV,
// opcode), maskBit 0x80 or 0, n the payload length.
func appendHeader(dst []byte, b0, maskBit byte, n int) []byte {
	switch {
	case n <= 125:
		return append(dst, b0, maskBit|byte(n))
	case n <= 0xFFFF:
		return binary.BigEndian.AppendUint16(append(dst, b0, maskBit|126), uint16(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, b0, maskBit|127), uint64(n))
}

// PutServerHeader writes the header of a final, unmasked frame of opcode
// op whose payload is b[MaxServerHeader:], right-aligned in the headroom,
// and returns where the frame starts in b: b[off:] is the frame.
func PutServerHeader(b []byte, op Opcode) (off int) {
	var h [MaxServerHeader]byte
	hdr := appendHeader(h[:0], 0x80|byte(op), 0, len(b)-MaxServerHeader)
	off = MaxServerHeader - len(hdr)
	copy(b[off:], hdr)
	return off
}

// PutClientFrame finishes a final client frame of opcode op whose payload
// is b[MaxClientHeader:]: it writes the header with masking key key,
// right-aligned in the headroom, masks the payload in place, and returns
// where the frame starts in b. key holds the four key bytes little-endian,
// as Mask takes them.
func PutClientFrame(b []byte, op Opcode, key uint32) (off int) {
	var h [MaxClientHeader]byte
	hdr := appendHeader(h[:0], 0x80|byte(op), 0x80, len(b)-MaxClientHeader)
	hdr = binary.LittleEndian.AppendUint32(hdr, key)
	off = MaxClientHeader - len(hdr)
	copy(b[off:], hdr)
	Mask(key, b[MaxClientHeader:])
	return off
}

// Mask XORs b with the masking key (§5.3) and returns the key rotated so
// that the next call continues where this one stopped. key holds the four
// key bytes little-endian, the one for b[0] lowest. Unmasking runs over
// every byte a client sends, so it goes eight bytes at a time.
func Mask(key uint32, b []byte) uint32 {
	if len(b) >= 8 {
		k := uint64(key)<<32 | uint64(key)
		for len(b) >= 32 {
			binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k)
			binary.LittleEndian.PutUint64(b[8:], binary.LittleEndian.Uint64(b[8:])^k)
			binary.LittleEndian.PutUint64(b[16:], binary.LittleEndian.Uint64(b[16:])^k)
			binary.LittleEndian.PutUint64(b[24:], binary.LittleEndian.Uint64(b[24:])^k)
			b = b[32:]
		}
		for len(b) >= 8 {
			binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k)
			b = b[8:]
		}
	}
	for i := range b {
		b[i] ^= byte(key)
		key = bits.RotateLeft32(key, -8)
	}
	return key
}

// Header is a parsed frame header.
type Header struct {
	Fin    bool
	Op     Opcode
	Masked bool
	// Key is the masking key, little-endian as Mask takes it.
	Key uint32
	// Length is the payload length.
	Length uint64
}

// HeaderLen returns the length of the header whose first two bytes start
// b (len(b) >= 2).
func HeaderLen(b []byte) int {
	n := 2
	switch b[1] & 0x7F {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b[1]&0x80 != 0 {
		n += 4
	}
	return n
}

// ParseHeader parses the frame header at the start of b and returns it
// with its length, or length 0 when b holds only part of it. The first two
// bytes are checked as soon as they are there, so a broken peer is failed
// without waiting for more: reserved bits (no extension is ever
// negotiated), unknown opcodes, fragmented or long control frames, and,
// when fromClient is set, unmasked frames (§5.1: a client masks every
// frame). A masked frame from a server is accepted and comes out of it
// with its key. When b holds the first two bytes but not the whole header,
// the result has Fin, Op and Masked set and length 0.
func ParseHeader(b []byte, fromClient bool) (Header, int, *ProtocolError) {
	if len(b) < 2 {
		return Header{}, 0, nil
	}
	b0, b1 := b[0], b[1]
	h := Header{Fin: b0&0x80 != 0, Op: Opcode(b0 & 0x0F), Masked: b1&0x80 != 0}
	switch {
	case b0&0x70 != 0:
		return Header{}, 0, errRSV
	case h.Op > OpBinary && h.Op < OpClose, h.Op > OpPong:
		return Header{}, 0, errOpcode
	case fromClient && !h.Masked:
		return Header{}, 0, errUnmasked
	}
	if h.Op.IsControl() {
		switch {
		case !h.Fin:
			return Header{}, 0, errControlFragmented
		case b1&0x7F > MaxControlPayload:
			return Header{}, 0, errControlTooLong
		}
	}
	n := HeaderLen(b)
	if len(b) < n {
		return h, 0, nil
	}
	switch h.Length = uint64(b1 & 0x7F); h.Length {
	case 126:
		h.Length = uint64(binary.BigEndian.Uint16(b[2:]))
	case 127:
		h.Length = binary.BigEndian.Uint64(b[2:])
		if h.Length>>63 != 0 {
			return Header{}, 0, errLength
		}
	}
	if h.Masked {
		h.Key = binary.LittleEndian.Uint32(b[n-4:])
	}
	return h, n, nil
}
