package wire

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// The JSON scanner under Decoder. It works on byte indexes: every function
// takes the index of the first byte of a token and returns the index just
// past it, or a negative codecPos* value when the text is not JSON. Keeping
// the state in indexes rather than in an allocated tokenizer is what makes
// decoding allocation-free.
//
// It accepts exactly the JSON grammar of RFC 8259 (which is what
// encoding/json accepts), plus one rule of its own: every byte sequence
// must be valid UTF-8. Invalid UTF-8 inside a string does not stop the scan
// (the string still ends at the same quote as for a byte-oriented parser);
// it is recorded in badUTF8 so Decode can still report action and info_hash.

const (
	codecPosInvalid = -1 // not JSON
	codecPosTooDeep = -2 // nested deeper than maxDepth
)

type codecScanner struct {
	data     []byte
	maxDepth int
	// badUTF8 is set when a string held invalid UTF-8.
	badUTF8 bool
}

// codecSkipWS returns the index of the first non-whitespace byte at or
// after i. JSON whitespace is only space, tab, LF and CR.
func codecSkipWS(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// codecStrSpecial returns, for the 8 bytes of x (little-endian), a mask
// with the high bit set in every byte that needs a closer look inside a
// JSON string: '"', '\\', control bytes < 0x20 and non-ASCII bytes >= 0x80.
// Borrows only travel upwards, so the lowest flagged byte is always a real
// hit (higher ones may be false positives; they are never used).
func codecStrSpecial(x uint64) uint64 {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	lt20 := x - 0x20*ones            // high bit set where byte < 0x20 (or >= 0xA0)
	quote := (x ^ '"'*ones) - ones   // high bit set where byte == '"' (or >= 0x80)
	bslash := (x ^ '\\'*ones) - ones // high bit set where byte == '\\' (or >= 0x80)
	return (lt20 | quote | bslash | x) & high
}

// skipString validates the JSON string whose opening quote is at data[i]
// and returns the index just past its closing quote.
func (s *codecScanner) skipString(i int) int {
	data := s.data
	i++
	for {
		// Fast path: skip 8 plain bytes at a time. SDP, which is most of
		// the bytes we see, is ASCII with an escape every line.
		for i+8 <= len(data) {
			if t := codecStrSpecial(binary.LittleEndian.Uint64(data[i:])); t != 0 {
				i += bits.TrailingZeros64(t) >> 3
				break
			}
			i += 8
		}
		if i >= len(data) {
			return codecPosInvalid
		}
		switch c := data[i]; {
		case c == '"':
			return i + 1
		case c == '\\':
			// The short escapes (SDP is full of \r\n) are handled here
			// rather than in a call.
			if i+1 < len(data) && codecShortEscapes[data[i+1]] {
				i += 2
			} else if i = codecEscapeEnd(data, i); i < 0 {
				return i
			}
		case c < 0x20:
			return codecPosInvalid
		case c < 0x80:
			i++ // plain byte in the last, shorter-than-8 stretch
		default:
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n == 1 {
				s.badUTF8 = true
			}
			i += n
		}
	}
}

// codecShortEscapes marks the letters of the two-character escapes.
var codecShortEscapes = [256]bool{'"': true, '\\': true, '/': true, 'b': true, 'f': true, 'n': true, 'r': true, 't': true}

// codecEscapeEnd validates the escape starting with the backslash at
// data[i] and returns the index after it. Lone surrogate escapes are valid
// JSON text (RFC 8259 §8.2 leaves their meaning open), so they are accepted.
func codecEscapeEnd(data []byte, i int) int {
	if i+1 >= len(data) {
		return codecPosInvalid
	}
	switch data[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return i + 2
	case 'u':
		if i+6 > len(data) {
			return codecPosInvalid
		}
		if _, ok := codecHex4(data[i+2 : i+6]); !ok {
			return codecPosInvalid
		}
		return i + 6
	}
	return codecPosInvalid
}

// codecHex4 parses the 4 hex digits of a \u escape.
func codecHex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var v rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | rune(c)
	}
	return v, true
}

// codecShortEscape maps the letter of a two-character escape to its byte.
func codecShortEscape(c byte) (byte, bool) {
	switch c {
	case '"', '\\', '/':
		return c, true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	}
	return 0, false
}

// binaryID decodes the JSON string whose opening quote is at data[i] as a
// binary string (docs/protocol.md §3.3): exactly 20 code points, each at
// most U+00FF, each taken as one byte. It returns the index past the
// closing quote and whether the string was such an id; id is written only
// when it was. A string that is valid JSON but not an id is not a syntax
// error: the caller reports the field.
func (s *codecScanner) binaryID(i int, id *[20]byte) (int, bool) {
	data := s.data
	var tmp [20]byte
	n := 0
	ok := true
	i++
	for {
		if i >= len(data) {
			return codecPosInvalid, false
		}
		c := data[i]
		var cp rune
		switch {
		case c == '"':
			if ok && n == 20 {
				*id = tmp
				return i + 1, true
			}
			return i + 1, false
		case c == '\\':
			if i+1 >= len(data) {
				return codecPosInvalid, false
			}
			if b, short := codecShortEscape(data[i+1]); short {
				cp = rune(b)
				i += 2
				break
			}
			if data[i+1] != 'u' || i+6 > len(data) {
				return codecPosInvalid, false
			}
			v, good := codecHex4(data[i+2 : i+6])
			if !good {
				return codecPosInvalid, false
			}
			// A surrogate (paired or not) is > U+00FF either way, so
			// there is no need to combine pairs here.
			cp = v
			i += 6
		case c < 0x20:
			return codecPosInvalid, false
		case c < 0x80:
			cp = rune(c)
			i++
		case (c == 0xC2 || c == 0xC3) && i+1 < len(data) && data[i+1]&0xC0 == 0x80:
			// U+0080..U+00FF in UTF-8: the common non-ASCII id byte.
			cp = rune(c&0x1F)<<6 | rune(data[i+1]&0x3F)
			i += 2
		default:
			// Any other sequence is either invalid UTF-8 or a code point
			// above U+00FF; both make the id invalid.
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				s.badUTF8 = true
			}
			cp = 0x100
			i += size
		}
		if cp > 0xFF {
			ok = false
		} else if n < 20 {
			tmp[n] = byte(cp)
		}
		n++
	}
}

// skipNumber validates a JSON number starting at data[i] and returns the
// index after it: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// What follows (it must be a delimiter) is the caller's business, which is
// how "01" or "1.2.3" are rejected.
func codecSkipNumber(data []byte, i int) int {
	if i < len(data) && data[i] == '-' {
		i++
	}
	if i >= len(data) {
		return codecPosInvalid
	}
	switch c := data[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		i++
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
	default:
		return codecPosInvalid
	}
	if i < len(data) && data[i] == '.' {
		i++
		start := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		if i == start {
			return codecPosInvalid
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		start := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		if i == start {
			return codecPosInvalid
		}
	}
	return i
}

// codecLiteral checks that data[i:] starts with lit.
func codecLiteral(data []byte, i int, lit string) int {
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return codecPosInvalid
	}
	return i + len(lit)
}

// skipValue validates any JSON value starting at data[i]. depth is the
// nesting depth a container starting there would have (the message object
// is depth 1).
func (s *codecScanner) skipValue(i, depth int) int {
	data := s.data
	if i >= len(data) {
		return codecPosInvalid
	}
	switch c := data[i]; c {
	case '"':
		return s.skipString(i)
	case '{':
		if depth > s.maxDepth {
			return codecPosTooDeep
		}
		j, done := s.objectStart(i)
		for !done {
			if j, _ = s.memberKey(j); j < 0 {
				return j
			}
			j, done = s.next(s.skipValue(j, depth+1), '}')
		}
		return j
	case '[':
		if depth > s.maxDepth {
			return codecPosTooDeep
		}
		j, done := s.arrayStart(i)
		for !done {
			j, done = s.next(s.skipValue(j, depth+1), ']')
		}
		return j
	case 't':
		return codecLiteral(data, i, "true")
	case 'f':
		return codecLiteral(data, i, "false")
	case 'n':
		return codecLiteral(data, i, "null")
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return codecSkipNumber(data, i)
	}
	return codecPosInvalid
}

// objectStart consumes the '{' at data[i] and the whitespace after it. It
// returns the index of the first key, or done for an empty object (the
// index is then past the '}').
func (s *codecScanner) objectStart(i int) (int, bool) {
	i = codecSkipWS(s.data, i+1)
	if i < len(s.data) && s.data[i] == '}' {
		return i + 1, true
	}
	return i, false
}

// arrayStart is objectStart for '['.
func (s *codecScanner) arrayStart(i int) (int, bool) {
	i = codecSkipWS(s.data, i+1)
	if i < len(s.data) && s.data[i] == ']' {
		return i + 1, true
	}
	return i, false
}

// next is called after a member or element ending at i (or a negative
// error, which it passes through with done set). It consumes the
// whitespace and the ',' before the next one, returning its index, or the
// closing bracket, returning done and the index past it.
func (s *codecScanner) next(i int, closing byte) (int, bool) {
	if i < 0 {
		return i, true
	}
	data := s.data
	i = codecSkipWS(data, i)
	if i >= len(data) {
		return codecPosInvalid, true
	}
	switch data[i] {
	case ',':
		return codecSkipWS(data, i+1), false
	case closing:
		return i + 1, true
	}
	return codecPosInvalid, true
}

// codecKey identifies the member names the decoder looks at.
type codecKey uint8

const (
	codecKeyOther codecKey = iota
	codecKeyAction
	codecKeyInfoHash
	codecKeyPeerID
	codecKeyToPeerID
	codecKeyOfferID
	codecKeyEvent
	codecKeyLeft
	codecKeyNumWant
	codecKeyOffers
	codecKeyAnswer
	codecKeyOffer
	codecKeyType
	codecKeySDP
)

// memberKey parses the key at data[i], the ':' and the whitespace around
// it, and returns the index of the value and which key it was.
func (s *codecScanner) memberKey(i int) (int, codecKey) {
	data := s.data
	if i >= len(data) || data[i] != '"' {
		return codecPosInvalid, 0
	}
	end := s.skipString(i)
	if end < 0 {
		return end, 0
	}
	k := codecLookupKey(data[i+1 : end-1])
	end = codecSkipWS(data, end)
	if end >= len(data) || data[end] != ':' {
		return codecPosInvalid, 0
	}
	return codecSkipWS(data, end+1), k
}

// codecLookupKey matches the raw text of a key. Keys are compared by their
// decoded value, so "\u0061ction" is "action", as for any JSON parser.
func codecLookupKey(raw []byte) codecKey {
	var buf [16]byte
	name, ok := codecUnescapeASCII(raw, &buf)
	if !ok {
		return codecKeyOther
	}
	switch string(name) {
	case "action":
		return codecKeyAction
	case "info_hash":
		return codecKeyInfoHash
	case "peer_id":
		return codecKeyPeerID
	case "to_peer_id":
		return codecKeyToPeerID
	case "offer_id":
		return codecKeyOfferID
	case "event":
		return codecKeyEvent
	case "left":
		return codecKeyLeft
	case "numwant":
		return codecKeyNumWant
	case "offers":
		return codecKeyOffers
	case "answer":
		return codecKeyAnswer
	case "offer":
		return codecKeyOffer
	case "type":
		return codecKeyType
	case "sdp":
		return codecKeySDP
	}
	return codecKeyOther
}

// codecUnescapeASCII returns the decoded text of raw, the already validated
// content of a JSON string, when it may be one of the short ASCII names and
// values the decoder compares against (keys, actions, events). Without
// escapes it is raw itself. ok is false when the text cannot match any of
// them: too long, or a non-ASCII escape.
func codecUnescapeASCII(raw []byte, buf *[16]byte) ([]byte, bool) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw, true
	}
	n := 0
	for i := 0; i < len(raw); {
		c := raw[i]
		if c == '\\' {
			if i+1 >= len(raw) {
				return nil, false
			}
			if b, ok := codecShortEscape(raw[i+1]); ok {
				c = b
				i += 2
			} else {
				v, ok := codecHex4(raw[i+2:])
				if !ok || v >= 0x80 {
					return nil, false
				}
				c = byte(v)
				i += 6
			}
		} else {
			i++
		}
		if n >= len(buf) {
			return nil, false
		}
		buf[n] = c
		n++
	}
	return buf[:n], true
}
