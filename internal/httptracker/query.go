package httptracker

import (
	"math"
	"strings"
)

// This file decodes raw query strings byte for byte (docs/protocol.md §10.3).
// net/url is not used: url.ParseQuery turns '+' into a space, allocates a
// map per request and, for ids, a string per value.

// nextParam splits the first '&'-separated field off q and cuts it at its
// first '='. A field without '=' has an empty value.
func nextParam(q string) (key, value, rest string) {
	field, rest, _ := strings.Cut(q, "&")
	key, value, _ = strings.Cut(field, "=")
	return key, value, rest
}

// unhex maps one hex digit of either case to its value.
func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// decodeInto decodes the query component s into dst: %XX becomes that byte
// and every other byte is itself, except that plusAsSpace reads '+' as 0x20
// (used only for the info_hash retry). It returns the full decoded length,
// which may exceed len(dst): the excess is validated and counted but not
// stored, so callers can bound their buffers and still tell "too long" from
// "fits", and can validate a value without storing it by passing nil.
func decodeInto(dst []byte, s string, plusAsSpace bool) (int, *Failure) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) {
				return n, failBadEscape
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return n, failBadEscape
			}
			c = hi<<4 | lo
			i += 2
		case c == '+' && plusAsSpace:
			c = ' '
		}
		if n < len(dst) {
			dst[n] = c
		}
		n++
	}
	return n, nil
}

// decodeID decodes a 20-byte id. It fails with invalid (the caller's
// "invalid info_hash"/"invalid peer_id") unless the value decodes to
// exactly 20 bytes; a 40-character hex id is therefore refused, as it must
// be (docs/protocol.md §10.2).
func decodeID(dst *[20]byte, s string, plusAsSpace bool, invalid *Failure) *Failure {
	n, f := decodeInto(dst[:], s, plusAsSpace)
	if f != nil {
		return f
	}
	if n != len(dst) {
		return invalid
	}
	return nil
}

// maxKeyLen bounds the keys this package recognises ("no_peer_id" is the
// longest); longer keys are validated and then ignored.
const maxKeyLen = 16

// decodeKey decodes a parameter name into buf and returns it, or an empty
// slice when it is longer than any name we know (so it matches none).
func decodeKey(buf *[maxKeyLen]byte, s string) ([]byte, *Failure) {
	n, f := decodeInto(buf[:], s, false)
	if f != nil {
		return nil, f
	}
	if n > len(buf) {
		return buf[:0], nil
	}
	return buf[:n], nil
}

// maxNumberLen bounds decimal values; longer values are not numbers we use.
const maxNumberLen = 24

// decodeSmall decodes a short value (a number or an event name). ok is
// false when it does not fit buf, which no valid value of ours does.
func decodeSmall(buf *[maxNumberLen]byte, s string) (v []byte, ok bool, f *Failure) {
	n, f := decodeInto(buf[:], s, false)
	if f != nil {
		return nil, false, f
	}
	if n > len(buf) {
		return nil, false, nil
	}
	return buf[:n], true, nil
}

// parseUint parses a non-empty run of ASCII digits, saturating at limit.
// Signs, spaces and anything else make it unparsable: clients that mean
// "unknown" send such values, and strconv would accept a leading '+'.
func parseUint(b []byte, limit uint64) (v uint64, ok bool) {
	if len(b) == 0 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if d > limit || v > (limit-d)/10 {
			v = limit // keep scanning so a later non-digit still fails
			continue
		}
		v = v*10 + d
	}
	return v, true
}

// parseLeft reads "left"; ok is false when it is unparsable, which the
// caller maps to bittorrent.LeftUnknown. Values beyond int64 saturate, which
// keeps such a peer a leecher.
func parseLeft(b []byte) (int64, bool) {
	v, ok := parseUint(b, math.MaxInt64)
	return int64(v), ok
}
