package httptracker

import (
	"bytes"
	"math"
	"testing"

	"github.com/swarmbridge/swarmbridge/internal/testkit/bencodetest"
)

func TestBencodeEncoder(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"zero", appendInt(nil, 0), "i0e"},
		{"positive", appendInt(nil, 42), "i42e"},
		{"negative", appendInt(nil, -3), "i-3e"},
		{"max", appendInt(nil, math.MaxInt64), "i9223372036854775807e"},
		{"min", appendInt(nil, math.MinInt64), "i-9223372036854775808e"},
		{"empty string", appendString(nil, ""), "0:"},
		{"string", appendString(nil, "spam"), "4:spam"},
		{"bytes count bytes not runes", appendString(nil, []byte("é\x00\xff")), "4:é\x00\xff"},
		{"string header", appendStringHeader(nil, 18), "18:"},
		{"empty dict", appendEnd(appendDictStart(nil)), "de"},
		{"empty list", appendEnd(appendListStart(nil)), "le"},
		{"dict", appendEnd(appendKeyString(appendKeyInt(appendDictStart(nil), "a", 1), "b", "xy")), "d1:ai1e1:b2:xye"},
		{"appends", appendInt([]byte("prefix"), 7), "prefixi7e"},
		{"failure", appendFailure(nil, &Failure{Reason: "Overloaded", RetryIn: "5"}), "d14:failure reason10:Overloaded8:retry in1:5e"},
		{"failure without retry", appendFailure(nil, &Failure{Reason: "invalid info_hash"}), "d14:failure reason17:invalid info_hashe"},
	}
	for _, tc := range tests {
		if string(tc.got) != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
		partial := bytes.HasPrefix(tc.got, []byte("prefix")) || tc.name == "string header"
		if _, err := bencodetest.Decode(tc.got); err != nil && !partial {
			t.Errorf("%s: own decoder rejects %q: %v", tc.name, tc.got, err)
		}
	}
}

func TestSortUnique20(t *testing.T) {
	k := func(bs ...byte) (out [20]byte) {
		copy(out[:], bs)
		return out
	}
	type e struct {
		key [20]byte
		tag int
	}
	in := []e{
		{k(0xff), 1}, {k(0x00, 0x01), 2}, {k(0x80), 3}, {k(0x00), 4},
		{k(0x00, 0x01), 2}, {k('a'), 6}, {k(0xff), 1}, {k(0x7f, 0xff), 8},
	}
	got := sortUnique20(in, func(x e) [20]byte { return x.key })
	want := []e{{k(0x00), 4}, {k(0x00, 0x01), 2}, {k('a'), 6}, {k(0x7f, 0xff), 8}, {k(0x80), 3}, {k(0xff), 1}}
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

// TestScrapeEncodingBinaryKeys checks the files dict against a hand-written
// encoding with keys that sort differently as signed bytes or as text.
func TestScrapeEncodingBinaryKeys(t *testing.T) {
	h := &Handler{minIntervalSec: 900}
	var hi, lo, mid [20]byte
	for i := range hi {
		hi[i], lo[i], mid[i] = 0xff, 0x00, 'A'
	}
	entries := []scrapeEntry{
		{hash: hi, counts: countsOf(1, 2, 3)},
		{hash: lo, counts: countsOf(4, 5, 6)},
		{hash: mid, counts: countsOf(0, 0, 0)},
		{hash: hi, counts: countsOf(9, 9, 9)},
	}
	got := h.appendScrape(nil, entries)
	want := "d5:filesd" +
		"20:" + string(lo[:]) + "d8:completei4e10:downloadedi6e10:incompletei5ee" +
		"20:" + string(mid[:]) + "d8:completei0e10:downloadedi0e10:incompletei0ee" +
		"20:" + string(hi[:]) + "d8:completei1e10:downloadedi3e10:incompletei2ee" +
		"e5:flagsd20:min_request_intervali900eee"
	if string(got) != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	if _, err := bencodetest.Decode(got); err != nil {
		t.Fatal(err)
	}
}
