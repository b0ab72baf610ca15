// Package bencodetest is a strict bencode decoder for tests that check
// tracker responses. It imports nothing from the project.
package bencodetest

import (
	"errors"
	"fmt"
	"strconv"
)

// Decode decodes exactly one value: integers become int64, byte strings
// string (raw bytes, no UTF-8 assumptions), lists []any and dictionaries
// map[string]any. It refuses what BEP 3 forbids and a tracker must never
// send: unsorted or duplicate keys, leading zeros, "-0", and trailing bytes.
func Decode(b []byte) (any, error) {
	d := bdecoder{b: b}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if d.i != len(b) {
		return nil, fmt.Errorf("bencode: %d trailing bytes after the value", len(b)-d.i)
	}
	return v, nil
}

type bdecoder struct {
	b []byte
	i int
}

var errBencodeEOF = errors.New("bencode: unexpected end of input")

func (d *bdecoder) value(depth int) (any, error) {
	if depth > 32 {
		return nil, errors.New("bencode: nested too deeply")
	}
	if d.i >= len(d.b) {
		return nil, errBencodeEOF
	}
	switch c := d.b[d.i]; {
	case c == 'i':
		d.i++
		return d.integer('e')
	case c >= '0' && c <= '9':
		return d.str()
	case c == 'l':
		d.i++
		list := []any{}
		for {
			if d.i >= len(d.b) {
				return nil, errBencodeEOF
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
				return nil, errBencodeEOF
			}
			if d.b[d.i] == 'e' {
				d.i++
				return dict, nil
			}
			k, err := d.str()
			if err != nil {
				return nil, fmt.Errorf("bencode: dictionary key: %w", err)
			}
			if !first && k <= prev {
				return nil, fmt.Errorf("bencode: key %q is not after %q (keys must be sorted and unique)", k, prev)
			}
			prev, first = k, false
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			dict[k] = v
		}
	default:
		return nil, fmt.Errorf("bencode: unexpected byte %q at offset %d", c, d.i)
	}
}

// integer reads digits up to end (already past any 'i').
func (d *bdecoder) integer(end byte) (int64, error) {
	start := d.i
	for d.i < len(d.b) && d.b[d.i] != end {
		d.i++
	}
	if d.i >= len(d.b) {
		return 0, errBencodeEOF
	}
	s := string(d.b[start:d.i])
	d.i++
	if s == "" || s == "-" || s == "-0" || (len(s) > 1 && s[0] == '0') || (len(s) > 2 && s[0] == '-' && s[1] == '0') {
		return 0, fmt.Errorf("bencode: invalid integer %q", s)
	}
	return strconv.ParseInt(s, 10, 64)
}

func (d *bdecoder) str() (string, error) {
	if d.i >= len(d.b) || d.b[d.i] < '0' || d.b[d.i] > '9' {
		return "", fmt.Errorf("bencode: expected a string length at offset %d", d.i)
	}
	n, err := d.integer(':')
	if err != nil {
		return "", err
	}
	if n < 0 || n > int64(len(d.b)-d.i) {
		return "", fmt.Errorf("bencode: string length %d exceeds input", n)
	}
	s := string(d.b[d.i : d.i+int(n)])
	d.i += int(n)
	return s, nil
}

// Dict decodes b and requires a dictionary.
func Dict(b []byte) (map[string]any, error) {
	v, err := Decode(b)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("bencode: top level is %T, not a dictionary", v)
	}
	return m, nil
}

// Int returns the integer under key.
func Int(m map[string]any, key string) (int64, error) {
	v, ok := m[key]
	if !ok {
		return 0, fmt.Errorf("key %q missing", key)
	}
	n, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("key %q is %T, not an integer", key, v)
	}
	return n, nil
}

// Str returns the byte string under key.
func Str(m map[string]any, key string) (string, error) {
	v, ok := m[key]
	if !ok {
		return "", fmt.Errorf("key %q missing", key)
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("key %q is %T, not a string", key, v)
	}
	return s, nil
}
