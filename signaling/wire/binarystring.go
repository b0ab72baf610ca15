package wire

import (
	"encoding/hex"
	"errors"
	"unicode/utf8"
)

// Helpers for Go code that speaks the signaling protocol through
// encoding/json (tests, tools, the e2e clients, the load generator). The
// tracker itself uses Decoder and the Append* encoders.
//
// A binary string (docs/protocol.md §3.1) is a JSON string whose code points
// U+0000–U+00FF each stand for one byte. encoding/json cannot express that
// with string or []byte fields: a Go string with bytes >= 0x80 is not valid
// UTF-8 and becomes U+FFFD, and []byte becomes base64.

// BinaryString is a byte string of any length that encoding/json writes
// and reads as a binary string. Use BinaryID for the 20-byte ids.
type BinaryString []byte

// MarshalJSON encodes b byte for code point, as AppendBinaryString.
func (b BinaryString) MarshalJSON() ([]byte, error) {
	return AppendBinaryString(nil, b), nil
}

// UnmarshalJSON decodes a binary string. null leaves b unchanged, as
// encoding/json does for other types.
func (b *BinaryString) UnmarshalJSON(data []byte) error {
	data = codecTrimWS(data)
	if string(data) == "null" {
		return nil
	}
	v, err := codecDecodeLatin1(make([]byte, 0, len(data)), data)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// BinaryID is a 20-byte id (info hash, peer id, offer id) that encoding/json
// writes and reads as a binary string of exactly 20 code points. It also
// works as a map key (through MarshalText/UnmarshalText), e.g. for the
// "files" of a scrape response: map[BinaryID]struct{…}.
//
// Convert from and to the bittorrent types with BinaryID(ih),
// bittorrent.InfoHash(id).
type BinaryID [20]byte

// String returns lowercase hex, the form for logs.
func (id BinaryID) String() string { return hex.EncodeToString(id[:]) }

// MarshalJSON encodes id as a binary string.
func (id BinaryID) MarshalJSON() ([]byte, error) {
	return AppendBinaryString(nil, id[:]), nil
}

// UnmarshalJSON decodes a binary string of exactly 20 code points, each at
// most U+00FF. null leaves id unchanged.
func (id *BinaryID) UnmarshalJSON(data []byte) error {
	data = codecTrimWS(data)
	if string(data) == "null" {
		return nil
	}
	var buf [20]byte
	v, err := codecDecodeLatin1(buf[:0], data)
	if err != nil {
		return err
	}
	if len(v) != 20 {
		return errBinaryIDLength
	}
	copy(id[:], v)
	return nil
}

// MarshalText returns the id as UTF-8 text of its code points, unescaped.
// encoding/json uses it for map keys and escapes the result itself.
func (id BinaryID) MarshalText() ([]byte, error) {
	text := make([]byte, 0, 40)
	for _, c := range id {
		text = utf8.AppendRune(text, rune(c))
	}
	return text, nil
}

// UnmarshalText takes UTF-8 text (a map key already unescaped by
// encoding/json) of exactly 20 code points, each at most U+00FF.
func (id *BinaryID) UnmarshalText(text []byte) error {
	var v [20]byte
	n := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRune(text[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return errBinaryUTF8
		case r > 0xFF:
			return errBinaryRange
		case n >= len(v):
			return errBinaryIDLength
		}
		v[n] = byte(r)
		n++
		i += size
	}
	if n != len(v) {
		return errBinaryIDLength
	}
	*id = v
	return nil
}

var (
	errBinaryNotString = errors.New("wire: binary string: not a JSON string")
	errBinarySyntax    = errors.New("wire: binary string: invalid JSON string")
	errBinaryUTF8      = errors.New("wire: binary string: invalid UTF-8")
	errBinaryRange     = errors.New("wire: binary string: character not in single byte range")
	errBinaryIDLength  = errors.New("wire: binary id: not 20 characters")
)

// codecTrimWS trims JSON whitespace.
func codecTrimWS(b []byte) []byte {
	b = b[codecSkipWS(b, 0):]
	for len(b) > 0 {
		switch b[len(b)-1] {
		case ' ', '\t', '\n', '\r':
			b = b[:len(b)-1]
			continue
		}
		break
	}
	return b
}

// codecDecodeLatin1 decodes tok, which must be exactly one JSON string
// token, as a binary string and appends its bytes to dst.
func codecDecodeLatin1(dst, tok []byte) ([]byte, error) {
	if len(tok) == 0 || tok[0] != '"' {
		return dst, errBinaryNotString
	}
	for i := 1; i < len(tok); {
		c := tok[i]
		var cp rune
		switch {
		case c == '"':
			if i != len(tok)-1 {
				return dst, errBinarySyntax
			}
			return dst, nil
		case c == '\\':
			if i+1 >= len(tok) {
				return dst, errBinarySyntax
			}
			if b, ok := codecShortEscape(tok[i+1]); ok {
				cp = rune(b)
				i += 2
				break
			}
			if tok[i+1] != 'u' {
				return dst, errBinarySyntax
			}
			v, ok := codecHex4(tok[i+2:])
			if !ok {
				return dst, errBinarySyntax
			}
			cp = v
			i += 6
		case c < 0x20:
			return dst, errBinarySyntax
		default:
			r, size := utf8.DecodeRune(tok[i:])
			if r == utf8.RuneError && size == 1 {
				return dst, errBinaryUTF8
			}
			cp = r
			i += size
		}
		if cp > 0xFF {
			return dst, errBinaryRange
		}
		dst = append(dst, byte(cp))
	}
	return dst, errBinarySyntax // no closing quote
}
