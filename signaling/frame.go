package signaling

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// This file holds the RFC 6455 wire format as the server side needs it:
// opcodes, close codes, unmasking, and the headers of the (unmasked)
// frames the tracker sends. framereader.go parses what clients send.

// Opcodes (RFC 6455 §5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// Close codes the tracker sends (RFC 6455 §7.4.1).
const (
	closeGoingAway       uint16 = 1001
	closeProtocolError   uint16 = 1002
	closeInvalidPayload  uint16 = 1007
	closePolicyViolation uint16 = 1008
	closeMessageTooBig   uint16 = 1009
	closeInternalError   uint16 = 1011
)

// maxControlPayload bounds ping, pong and close payloads (§5.5).
const maxControlPayload = 125

// frameHeadroom is the largest server frame header: two bytes and a 64-bit
// length, never a mask. Outgoing messages are encoded behind this much free
// space so the header can be put in front without copying the payload.
const frameHeadroom = 10

// putFrameHeader writes the header of a final, unmasked frame of opcode op
// whose payload starts at b[frameHeadroom:], right-aligned in the headroom,
// and returns where the frame starts in b.
func putFrameHeader(b []byte, op byte) int {
	n := len(b) - frameHeadroom
	var off int
	switch {
	case n <= 125:
		off = frameHeadroom - 2
		b[off+1] = byte(n)
	case n <= 0xFFFF:
		off = frameHeadroom - 4
		b[off+1] = 126
		binary.BigEndian.PutUint16(b[off+2:], uint16(n))
	default:
		off = 0
		b[1] = 127
		binary.BigEndian.PutUint64(b[2:], uint64(n))
	}
	b[off] = 0x80 | op
	return off
}

// maskBytes XORs b with the masking key (§5.3) and returns the key rotated
// so that the next call continues where this one stopped. key holds the
// four key bytes little-endian, the one for b[0] lowest. Unmasking runs
// over every byte a client sends, so it goes eight bytes at a time.
func maskBytes(key uint32, b []byte) uint32 {
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

// appendClosePayload appends the payload of a close frame: code, then the
// reason text cut to what fits a control frame.
func appendClosePayload(dst []byte, code uint16, text string) []byte {
	if code == 0 {
		return dst
	}
	if len(text) > maxControlPayload-2 {
		text = text[:maxControlPayload-2]
		for len(text) > 0 && !utf8.ValidString(text) {
			text = text[:len(text)-1]
		}
	}
	dst = binary.BigEndian.AppendUint16(dst, code)
	return append(dst, text...)
}

// parseClosePayload checks the payload of a client's close frame and
// returns its code (0 for an empty payload). A malformed payload is a
// protocol error; a reason that is not UTF-8 is invalid payload data (§7.1.6).
func parseClosePayload(p []byte) (uint16, *frameError) {
	switch {
	case len(p) == 0:
		return 0, nil
	case len(p) == 1:
		return 0, errCloseTooShort
	}
	code := binary.BigEndian.Uint16(p)
	if !validCloseCode(code) {
		return 0, errCloseCode
	}
	if !utf8.Valid(p[2:]) {
		return 0, errCloseUTF8
	}
	return code, nil
}

// validCloseCode reports whether a peer may send code in a close frame:
// the codes defined by RFC 6455 and the IANA registry, and the ranges for
// libraries and applications. 1005, 1006 and 1015 are never sent.
func validCloseCode(code uint16) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}
