package httptracker

import (
	"errors"
	"fmt"
	"strconv"
)

// bdecode is a strict bencode decoder for checking responses: it accepts
// only canonical encodings (no leading zeros, no -0, dict keys strictly
// increasing by raw bytes) and exactly one value with nothing after it.
// Values are int64, string (raw bytes), []any and map[string]any.
func bdecode(b []byte) (any, error) {
	d := &bdecoder{b: b}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if d.i != len(b) {
		return nil, fmt.Errorf("bdecode: %d trailing bytes", len(b)-d.i)
	}
	return v, nil
}

type bdecoder struct {
	b []byte
	i int
}

var errBEOF = errors.New("bdecode: unexpected end")

func (d *bdecoder) value(depth int) (any, error) {
	if depth > 32 {
		return nil, errors.New("bdecode: too deep")
	}
	if d.i >= len(d.b) {
		return nil, errBEOF
	}
	switch c := d.b[d.i]; {
	case c == 'i':
		d.i++
		end := d.find('e')
		if end < 0 {
			return nil, errBEOF
		}
		s := string(d.b[d.i:end])
		if s == "" || s == "-0" || (len(s) > 1 && s[0] == '0') || (len(s) > 2 && s[:2] == "-0") {
			return nil, fmt.Errorf("bdecode: non-canonical integer %q", s)
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || s[0] == '+' {
			return nil, fmt.Errorf("bdecode: bad integer %q", s)
		}
		d.i = end + 1
		return n, nil
	case c >= '0' && c <= '9':
		return d.str()
	case c == 'l':
		d.i++
		list := []any{}
		for {
			if d.i >= len(d.b) {
				return nil, errBEOF
			}
			if d.b[d.i] == 'e' {
				d.i++
				return list, nil
			}
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
	case c == 'd':
		d.i++
		dict := map[string]any{}
		prev, first := "", true
		for {
			if d.i >= len(d.b) {
				return nil, errBEOF
			}
			if d.b[d.i] == 'e' {
				d.i++
				return dict, nil
			}
			if c := d.b[d.i]; c < '0' || c > '9' {
				return nil, fmt.Errorf("bdecode: dict key is not a string at %d", d.i)
			}
			k, err := d.str()
			if err != nil {
				return nil, err
			}
			if !first && k <= prev {
				return nil, fmt.Errorf("bdecode: dict key %q not after %q", k, prev)
			}
			prev, first = k, false
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			dict[k] = v
		}
	}
	return nil, fmt.Errorf("bdecode: unexpected byte %q at %d", d.b[d.i], d.i)
}

func (d *bdecoder) str() (string, error) {
	colon := d.find(':')
	if colon < 0 {
		return "", errBEOF
	}
	ls := string(d.b[d.i:colon])
	if len(ls) > 1 && ls[0] == '0' {
		return "", fmt.Errorf("bdecode: non-canonical length %q", ls)
	}
	n, err := strconv.Atoi(ls)
	if err != nil || n < 0 {
		return "", fmt.Errorf("bdecode: bad length %q", ls)
	}
	start := colon + 1
	if n > len(d.b)-start {
		return "", errBEOF
	}
	d.i = start + n
	return string(d.b[start:d.i]), nil
}

func (d *bdecoder) find(c byte) int {
	for j := d.i; j < len(d.b); j++ {
		if d.b[j] == c {
			return j
		}
	}
	return -1
}
