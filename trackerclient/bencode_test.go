package trackerclient

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// bencodeOf writes v back in input order: for canonical input it is
// byte-exact, which the fuzz target relies on.
func bencodeOf(v bvalue) string {
	switch v.kind {
	case bInt:
		return "i" + strconv.FormatInt(v.i, 10) + "e"
	case bString:
		return strconv.Itoa(len(v.s)) + ":" + string(v.s)
	case bList:
		s := "l"
		for _, x := range v.list {
			s += bencodeOf(x)
		}
		return s + "e"
	case bDict:
		s := "d"
		for _, e := range v.dict {
			s += strconv.Itoa(len(e.key)) + ":" + string(e.key) + bencodeOf(e.val)
		}
		return s + "e"
	}
	return ""
}

func TestBdecodeAccepts(t *testing.T) {
	for _, in := range []string{
		"i0e", "i-1e", "i9223372036854775807e", "i-9223372036854775808e", "0:", "3:a\x00c", "le", "de",
		"d1:ai1e1:bli2e3:xyzee", "l" + strings.Repeat("l", 31) + strings.Repeat("e", 32),
	} {
		v, d, err := bdecode([]byte(in))
		if err != nil || d.unsorted || bencodeOf(v) != in {
			t.Errorf("%q: %v (unsorted %v), round trip %q", in, err, d.unsorted, bencodeOf(v))
		}
	}
	if _, d, err := bdecode([]byte("d1:bi1e1:ai2ee")); err != nil || !d.unsorted {
		t.Errorf("unsorted keys: %v, flagged %v", err, d.unsorted)
	}
}

func TestBdecodeRefuses(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "byte 0: empty input",
		"i":                      "input ends inside a number",
		"ie":                     "empty number",
		"i01e":                   "leading zero",
		"i-0e":                   "negative zero",
		"i1.5e":                  "unexpected byte '.' in a number",
		"i9223372036854775808e":  "does not fit 64 bits",
		"i-9223372036854775809e": "does not fit 64 bits",
		"i99999999999999999999e": "does not fit 64 bits",
		"01:a":                   "leading zero",
		"-1:a":                   "unexpected byte '-'",
		"5:abc":                  "string of 5 bytes but only 3 left",
		"4294967296:x":           "string of 4294967296 bytes",
		"l":                      "input ends inside a list",
		"d1:a":                   "input ends inside a value",
		"di1ei2ee":               "dictionary key is not a string",
		"d1:ai1e1:ai2ee":         `duplicate dictionary key "a"`,
		"d1:bi1e1:ai1e1:bi1ee":   `duplicate dictionary key "b"`,
		"i1ei2e":                 "byte 3: 3 bytes after the end",
		"x":                      "unexpected byte 'x'",
		strings.Repeat("l", 33) + strings.Repeat("e", 33): "nested more than 32 deep",
	} {
		_, _, err := bdecode([]byte(in))
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error saying %q", in, err, want)
		}
	}
}
