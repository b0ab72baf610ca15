package trackerclient

import (
	"bytes"
	"fmt"
)

// The bencode decoder: strict about syntax (canonical integers, exact
// string lengths, no trailing bytes, no duplicate keys) because a reply we
// misread is worse than one we refuse, and bounded because replies are
// untrusted. Strings are slices of the input, so decoding allocates in
// proportion to the input and never to a length the input claims.

// maxDepth bounds nesting. Tracker replies nest at most 4 deep (scrape:
// dict > files > hash > counts); 32 leaves room for extensions while
// keeping recursion shallow.
const maxDepth = 32

type bkind uint8

const (
	bInt bkind = iota + 1
	bString
	bList
	bDict
)

func (k bkind) String() string {
	switch k {
	case bInt:
		return "integer"
	case bString:
		return "string"
	case bList:
		return "list"
	case bDict:
		return "dictionary"
	}
	return "nothing"
}

type bvalue struct {
	kind bkind
	i    int64
	s    []byte
	list []bvalue
	dict []bentry // in the order of the input
}

type bentry struct {
	key []byte
	val bvalue
}

// get returns a dictionary's value for key.
func (v bvalue) get(key string) (bvalue, bool) {
	for _, e := range v.dict {
		if string(e.key) == key {
			return e.val, true
		}
	}
	return bvalue{}, false
}

type bdecoder struct {
	in  []byte
	pos int
	// unsorted is set when some dictionary's keys are out of order, which
	// bencode forbids but readers accept; callers report it as a quirk.
	unsorted bool
}

// bdecode decodes exactly one value filling all of in.
func bdecode(in []byte) (bvalue, *bdecoder, error) {
	d := &bdecoder{in: in}
	v, err := d.value(0)
	if err != nil {
		return bvalue{}, d, err
	}
	if d.pos != len(in) {
		return bvalue{}, d, d.fail("%d bytes after the end of the value", len(in)-d.pos)
	}
	return v, d, nil
}

func (d *bdecoder) fail(format string, args ...any) error {
	return malformed("bencode at byte %d: %s", d.pos, fmt.Sprintf(format, args...))
}

func (d *bdecoder) value(depth int) (bvalue, error) {
	if d.pos >= len(d.in) {
		if d.pos == 0 {
			return bvalue{}, d.fail("empty input")
		}
		return bvalue{}, d.fail("input ends inside a value")
	}
	switch c := d.in[d.pos]; {
	case c == 'i':
		d.pos++
		n, err := d.integer('e')
		return bvalue{kind: bInt, i: n}, err
	case c >= '0' && c <= '9':
		s, err := d.str()
		return bvalue{kind: bString, s: s}, err
	case c == 'l' || c == 'd':
		if depth >= maxDepth {
			return bvalue{}, d.fail("nested more than %d deep", maxDepth)
		}
		d.pos++
		if c == 'l' {
			return d.listBody(depth)
		}
		return d.dictBody(depth)
	default:
		return bvalue{}, d.fail("unexpected byte %q", c)
	}
}

// integer reads a canonical decimal int64 up to the terminator: no
// leading zeros, no "-0", no empty number, no overflow.
func (d *bdecoder) integer(term byte) (int64, error) {
	neg := false
	if d.pos < len(d.in) && d.in[d.pos] == '-' {
		neg = true
		d.pos++
	}
	digits := d.pos
	var n uint64
	for d.pos < len(d.in) && d.in[d.pos] >= '0' && d.in[d.pos] <= '9' {
		if n > (1<<63)/10 {
			return 0, d.fail("integer does not fit 64 bits")
		}
		n = n*10 + uint64(d.in[d.pos]-'0')
		d.pos++
	}
	switch {
	case d.pos == len(d.in):
		return 0, d.fail("input ends inside a number")
	case d.in[d.pos] != term:
		return 0, d.fail("unexpected byte %q in a number", d.in[d.pos])
	case d.pos == digits:
		return 0, d.fail("empty number")
	case d.in[digits] == '0' && d.pos-digits > 1:
		return 0, d.fail("number with a leading zero")
	case neg && n == 0:
		return 0, d.fail("negative zero")
	case !neg && n > 1<<63-1, neg && n > 1<<63:
		return 0, d.fail("integer does not fit 64 bits")
	}
	d.pos++ // the terminator
	if neg {
		return -int64(n-1) - 1, nil // -(1<<63) without overflow
	}
	return int64(n), nil
}

func (d *bdecoder) str() ([]byte, error) {
	n, err := d.integer(':')
	if err != nil {
		return nil, err
	}
	if n > int64(len(d.in)-d.pos) {
		return nil, d.fail("string of %d bytes but only %d left", n, len(d.in)-d.pos)
	}
	s := d.in[d.pos : d.pos+int(n) : d.pos+int(n)]
	d.pos += int(n)
	return s, nil
}

func (d *bdecoder) listBody(depth int) (bvalue, error) {
	v := bvalue{kind: bList}
	for {
		if d.pos >= len(d.in) {
			return bvalue{}, d.fail("input ends inside a list")
		}
		if d.in[d.pos] == 'e' {
			d.pos++
			return v, nil
		}
		item, err := d.value(depth + 1)
		if err != nil {
			return bvalue{}, err
		}
		v.list = append(v.list, item)
	}
}

func (d *bdecoder) dictBody(depth int) (bvalue, error) {
	v := bvalue{kind: bDict}
	var seen map[string]struct{}
	for {
		if d.pos >= len(d.in) {
			return bvalue{}, d.fail("input ends inside a dictionary")
		}
		if d.in[d.pos] == 'e' {
			d.pos++
			return v, nil
		}
		if c := d.in[d.pos]; c < '0' || c > '9' {
			return bvalue{}, d.fail("dictionary key is not a string (byte %q)", c)
		}
		keyAt := d.pos
		key, err := d.str()
		if err != nil {
			return bvalue{}, err
		}
		if n := len(v.dict); n > 0 {
			c := bytes.Compare(v.dict[n-1].key, key)
			if c > 0 && seen == nil {
				// Out of order: from here on duplicates can hide
				// anywhere, so remember every key (once, not per key,
				// to stay linear).
				d.unsorted = true
				seen = make(map[string]struct{}, n+1)
				for _, e := range v.dict {
					seen[string(e.key)] = struct{}{}
				}
			}
			dup := c == 0
			if seen != nil {
				_, dup = seen[string(key)]
				seen[string(key)] = struct{}{}
			}
			if dup {
				d.pos = keyAt
				return bvalue{}, d.fail("duplicate dictionary key %q", printable(string(key), 40))
			}
		}
		val, err := d.value(depth + 1)
		if err != nil {
			return bvalue{}, err
		}
		v.dict = append(v.dict, bentry{key: key, val: val})
	}
}
