package httptracker

import (
	"bytes"
	"slices"
	"strconv"
)

// This is an append-style bencode encoder (BEP 3): every function appends to
// b and returns the extended slice, so responses are built in one pooled
// buffer without allocating. Dict keys must be written in raw byte order;
// the helpers do not sort, callers pass keys already sorted, except for
// binary keys, which sortUnique20 orders.

// byteString is anything that can be appended as raw bytes.
type byteString interface{ ~string | ~[]byte }

// appendInt appends i<n>e.
func appendInt(b []byte, n int64) []byte {
	b = append(b, 'i')
	b = strconv.AppendInt(b, n, 10)
	return append(b, 'e')
}

// appendStringHeader appends the "<len>:" prefix of a byte string whose n
// bytes the caller appends itself (compact peer lists are written piecewise).
func appendStringHeader(b []byte, n int) []byte {
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, ':')
}

// appendString appends <len>:<bytes>. The length counts bytes, never runes.
func appendString[S byteString](b []byte, s S) []byte {
	b = appendStringHeader(b, len(s))
	return append(b, s...)
}

// appendDictStart, appendListStart and appendEnd delimit containers.
func appendDictStart(b []byte) []byte { return append(b, 'd') }
func appendListStart(b []byte) []byte { return append(b, 'l') }
func appendEnd(b []byte) []byte       { return append(b, 'e') }

// appendKeyInt appends one dict entry with an integer value.
func appendKeyInt(b []byte, key string, n int64) []byte {
	return appendInt(appendString(b, key), n)
}

// appendKeyString appends one dict entry with a byte-string value.
func appendKeyString[S byteString](b []byte, key string, v S) []byte {
	return appendString(appendString(b, key), v)
}

// sortUnique20 orders s by a 20-byte key in raw byte order and removes
// entries whose key repeats, keeping one of them. It is the key order a
// bencoded dict with binary keys (the scrape "files" dict) needs, and it
// sorts in place without allocating. The sort is not stable: entries with
// equal keys describe the same swarm, so which one survives does not
// matter, and pdqsort avoids the stable sort's quadratic insertion passes.
// key returns a copy, not a pointer: a pointer into the comparator's
// arguments would make them escape, costing allocations per comparison.
func sortUnique20[E any](s []E, key func(E) [20]byte) []E {
	slices.SortFunc(s, func(a, b E) int {
		ka, kb := key(a), key(b)
		return bytes.Compare(ka[:], kb[:])
	})
	return slices.CompactFunc(s, func(a, b E) bool {
		return key(a) == key(b)
	})
}
