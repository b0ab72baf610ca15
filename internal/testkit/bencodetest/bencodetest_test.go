package bencodetest

import (
	"fmt"
	"testing"
)

// TestDecode keeps the test decoder honest, since every HTTP assertion
// depends on it.
func TestDecode(t *testing.T) {
	good := map[string]any{
		"i0e":                      int64(0),
		"i-42e":                    int64(-42),
		"4:spam":                   "spam",
		"0:":                       "",
		"le":                       []any{},
		"li1e3:abce":               []any{int64(1), "abc"},
		"d3:bar4:spam3:fooi42ee":   map[string]any{"bar": "spam", "foo": int64(42)},
		"d1:ad1:bli1eeee":          map[string]any{"a": map[string]any{"b": []any{int64(1)}}},
		"d14:failure reason3:bade": map[string]any{"failure reason": "bad"},
		"3:\x00\xff\x80":           "\x00\xff\x80",
	}
	for in, want := range good {
		got, err := Decode([]byte(in))
		if err != nil {
			t.Errorf("Decode(%q): %v", in, err)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Decode(%q) = %#v, want %#v", in, got, want)
		}
	}
	for _, in := range []string{
		"", "i", "ie", "i-0e", "i03e", "i1", "5:abc", "l", "d", "d3:fooe",
		"d3:foo1:a3:bar1:be", // unsorted
		"d3:foo1:a3:foo1:be", // duplicate
		"i1ei2e",             // trailing
		"x", "-1:a", "d i1e1:ae",
	} {
		if v, err := Decode([]byte(in)); err == nil {
			t.Errorf("Decode(%q) = %#v, want an error", in, v)
		}
	}
}
