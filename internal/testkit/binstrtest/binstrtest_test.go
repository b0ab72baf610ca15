package binstrtest

import (
	"strings"
	"testing"
)

func TestRoundTripAndRejects(t *testing.T) {
	var id [20]byte
	for i := range id {
		id[i] = byte(i * 13)
	}
	id[0], id[19] = 0x00, 0xFF
	got, err := Parse[[20]byte](BinaryString(id))
	if err != nil || got != id {
		t.Fatalf("round trip: %x, %v; want %x", got, err, id)
	}
	for _, bad := range []string{strings.Repeat("a", 19), strings.Repeat("a", 21), strings.Repeat("a", 19) + "Ā", ""} {
		if _, err := Parse[[20]byte](bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
