package access

import "crypto/rand"

// GeneratedKeyLen is the length of the keys GenerateKey makes: 32 of 62
// symbols carry 190 bits, far beyond guessing, and stay short enough to
// paste into an announce URL.
const GeneratedKeyLen = 32

// keyAlphabet is the part of ValidKey's alphabet GenerateKey draws from.
// Letters and digits only: '-', '.', '_' and '~' are valid but make a key
// harder to select with a double click and to read out.
const keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// GenerateKey returns a new random key from crypto/rand that ValidKey
// accepts.
func GenerateKey() string {
	// Rejection sampling: bytes at or above the largest multiple of the
	// alphabet's size would favour the first symbols.
	const limit = 256 - 256%len(keyAlphabet)
	key := make([]byte, 0, GeneratedKeyLen)
	var buf [64]byte
	for len(key) < GeneratedKeyLen {
		rand.Read(buf[:]) // never fails (crypto/rand since Go 1.24)
		for _, b := range buf {
			if int(b) < limit && len(key) < GeneratedKeyLen {
				key = append(key, keyAlphabet[int(b)%len(keyAlphabet)])
			}
		}
	}
	return string(key)
}
