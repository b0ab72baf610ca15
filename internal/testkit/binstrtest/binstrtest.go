// Package binstrtest converts 20-byte ids to and from the "binary
// strings" WebTorrent puts in JSON (Node's latin1: one code point per
// byte), for black-box tests. It is written apart from the signaling
// codec on purpose, so tests do not check the codec against itself.
package binstrtest

import "fmt"

// BinaryString maps every byte of id to the code point of the same value.
func BinaryString[T ~[20]byte](id T) string {
	r := make([]rune, len(id))
	for i, b := range id {
		r[i] = rune(b)
	}
	return string(r)
}

// Parse is the inverse of BinaryString: exactly 20 code points, each at
// most U+00FF.
func Parse[T ~[20]byte](s string) (T, error) {
	var id T
	n := 0
	for _, r := range s {
		if r > 0xFF {
			return id, fmt.Errorf("code point U+%04X is not a byte (string %q)", r, s)
		}
		if n == len(id) {
			return id, fmt.Errorf("more than 20 characters in %q", s)
		}
		id[n] = byte(r)
		n++
	}
	if n != len(id) {
		return id, fmt.Errorf("%d characters instead of 20 in %q", n, s)
	}
	return id, nil
}
