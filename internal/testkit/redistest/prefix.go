package redistest

import (
	"crypto/rand"
	"encoding/hex"
	"testing"
)

// Prefix returns a key prefix no other test uses ("sbtest:" and random
// hex), so tests sharing a Redis never see each other's keys. Deleting the
// keys afterwards is the caller's: this package has no Redis client.
func Prefix(t testing.TB) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("random prefix: %v", err)
	}
	return "sbtest:" + hex.EncodeToString(b[:]) + ":"
}
