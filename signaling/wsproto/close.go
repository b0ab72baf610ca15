package wsproto

import (
	"encoding/binary"
	"unicode/utf8"
)

// AppendClosePayload appends the payload of a close frame: code, then the
// reason text cut to what fits a control frame (at a UTF-8 boundary). Code
// 0 is an empty payload.
func AppendClosePayload(dst []byte, code uint16, text string) []byte {
	if code == 0 {
		return dst
	}
	if len(text) > MaxControlPayload-2 {
		text = text[:MaxControlPayload-2]
		for len(text) > 0 && !utf8.ValidString(text) {
			text = text[:len(text)-1]
		}
	}
	dst = binary.BigEndian.AppendUint16(dst, code)
	return append(dst, text...)
}

// ParseClosePayload checks the payload of a peer's close frame and returns
// its code (0 for an empty payload). A malformed payload is a protocol
// error; a reason that is not UTF-8 is invalid payload data (§7.1.6).
func ParseClosePayload(p []byte) (uint16, *ProtocolError) {
	switch {
	case len(p) == 0:
		return 0, nil
	case len(p) == 1:
		return 0, errCloseTooShort
	}
	code := binary.BigEndian.Uint16(p)
	if !ValidCloseCode(code) {
		return 0, errCloseCode
	}
	if !utf8.Valid(p[2:]) {
		return 0, errCloseUTF8
	}
	return code, nil
}

// ValidCloseCode reports whether a peer may send code in a close frame:
// the codes defined by RFC 6455 and the IANA registry, and the ranges for
// libraries and applications. 1005, 1006 and 1015 are never sent.
func ValidCloseCode(code uint16) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}
