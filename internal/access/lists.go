package access

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// maxLineLen bounds one line of a list file; longer lines are an error.
const maxLineLen = 4096

// eachLine calls fn with every meaningful line of r, numbered from 1:
// surrounding blanks trimmed, "#" comments (whole-line or after the value)
// removed, empty lines skipped.
func eachLine(r io.Reader, fn func(n int, line string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), maxLineLen)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if err := fn(n, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("after line %d: %w", n, err)
	}
	return nil
}

// ParseInfoHashes reads a list of info hashes: one per line as 40 hex
// digits (either case), with "#" comments and blank lines allowed.
func ParseInfoHashes(r io.Reader) (map[[20]byte]struct{}, error) {
	set := map[[20]byte]struct{}{}
	err := eachLine(r, func(n int, line string) error {
		var ih [20]byte
		if len(line) != 40 {
			return fmt.Errorf("line %d: %q is not an info hash (40 hex digits)", n, line)
		}
		if _, err := hex.Decode(ih[:], []byte(line)); err != nil {
			return fmt.Errorf("line %d: %q is not an info hash (40 hex digits)", n, line)
		}
		set[ih] = struct{}{}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return set, nil
}

// ParseKeys reads a list of keys: one per line (see ValidKey), with "#"
// comments and blank lines allowed.
func ParseKeys(r io.Reader) (map[string]struct{}, error) {
	set := map[string]struct{}{}
	err := eachLine(r, func(n int, line string) error {
		if !ValidKey(line) {
			return fmt.Errorf("line %d: invalid key (want %d-%d characters from A-Z a-z 0-9 - . _ ~, not \"announce\" or \"scrape\")", n, MinKeyLen, MaxKeyLen)
		}
		set[line] = struct{}{}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return set, nil
}

// fileSet is a set loaded from a file and swapped atomically on reload.
// A set with no path is not backed by a file: its owner swaps contents in
// with store, and reload leaves it as it is.
type fileSet[K comparable, V any] struct {
	path  string
	what  string
	parse func(io.Reader) (map[K]V, error)
	cur   atomic.Pointer[map[K]V]
}

func (f *fileSet[K, V]) load() error {
	if f.path == "" {
		return nil
	}
	fh, err := os.Open(f.path)
	if err != nil {
		return fmt.Errorf("%s: %w", f.what, err)
	}
	defer fh.Close()
	set, err := f.parse(fh)
	if err != nil {
		return fmt.Errorf("%s %s: %w", f.what, f.path, err)
	}
	f.cur.Store(&set)
	return nil
}

func (f *fileSet[K, V]) store(set map[K]V) { f.cur.Store(&set) }

func (f *fileSet[K, V]) len() int { return len(*f.cur.Load()) }

// HashFilter is an info hash allow-list or deny-list, read from a file
// (LoadHashFilter) or kept up to date by a database (NewHashFilter and
// Replace).
type HashFilter struct {
	set  fileSet[[20]byte, struct{}]
	deny bool
}

// LoadHashFilter reads the list at path. With deny, the listed torrents
// are refused and all others allowed; without, only the listed ones are
// allowed (an empty allow-list allows none).
func LoadHashFilter(path string, deny bool) (*HashFilter, error) {
	what := "info hash allow-list"
	if deny {
		what = "info hash deny-list"
	}
	f := &HashFilter{set: fileSet[[20]byte, struct{}]{path: path, what: what, parse: ParseInfoHashes}, deny: deny}
	if err := f.set.load(); err != nil {
		return nil, err
	}
	return f, nil
}

// NewHashFilter returns an empty list backed by no file, for a database
// to fill with Replace. Until then an allow-list allows nothing and a
// deny-list denies nothing.
func NewHashFilter(deny bool) *HashFilter {
	f := &HashFilter{deny: deny}
	f.set.store(map[[20]byte]struct{}{})
	return f
}

// Replace swaps in a new set of hashes. The filter keeps set: the caller
// must not change it afterwards.
func (f *HashFilter) Replace(set map[[20]byte]struct{}) {
	if set == nil {
		set = map[[20]byte]struct{}{}
	}
	f.set.store(set)
}

// Reload reads the file again. On error the previous list stays in force.
// A filter backed by no file is left as it is.
func (f *HashFilter) Reload() error { return f.set.load() }

// Allow reports whether the torrent ih may be tracked.
func (f *HashFilter) Allow(ih [20]byte) bool {
	_, listed := (*f.set.cur.Load())[ih]
	return listed != f.deny
}

// Deny reports whether this is a deny-list.
func (f *HashFilter) Deny() bool { return f.deny }

// Len is the number of listed hashes.
func (f *HashFilter) Len() int { return f.set.len() }

// Keys is the set of keys that may announce in private mode, read from a
// file (LoadKeys) or kept up to date by a database (NewKeys and Replace).
// A key may carry an expiry, checked each time the key is used, so an
// expired key stops working at that instant on every transport without
// waiting for anyone to rebuild the set.
type Keys struct {
	// Each key maps to its expiry in Unix nanoseconds, 0 for never.
	set fileSet[string, int64]
	now func() time.Time
}

// LoadKeys reads the keys file at path. Keys from a file never expire.
func LoadKeys(path string) (*Keys, error) {
	k := &Keys{set: fileSet[string, int64]{path: path, what: "keys file", parse: parseKeyTable}, now: time.Now}
	if err := k.set.load(); err != nil {
		return nil, err
	}
	return k, nil
}

// NewKeys returns an empty key set backed by no file, for a database to
// fill with Replace. now is the clock expiries are checked against (nil
// means time.Now); tests pass a fake one.
func NewKeys(now func() time.Time) *Keys {
	if now == nil {
		now = time.Now
	}
	k := &Keys{now: now}
	k.set.store(map[string]int64{})
	return k
}

// Replace swaps in a new set of keys, each with its expiry (the zero Time
// for a key that never expires).
func (k *Keys) Replace(keys map[string]time.Time) {
	table := make(map[string]int64, len(keys))
	for key, exp := range keys {
		var ns int64
		if !exp.IsZero() {
			// 1970-01-01 would read as "never"; it has expired either way.
			ns = max(exp.UnixNano(), 1)
		}
		table[key] = ns
	}
	k.set.store(table)
}

func parseKeyTable(r io.Reader) (map[string]int64, error) {
	set, err := ParseKeys(r)
	if err != nil {
		return nil, err
	}
	table := make(map[string]int64, len(set))
	for key := range set {
		table[key] = 0
	}
	return table, nil
}

// Reload reads the file again. On error the previous keys stay in force.
// A set backed by no file is left as it is.
func (k *Keys) Reload() error { return k.set.load() }

// Len is the number of keys, expired ones included until the next
// Replace drops them.
func (k *Keys) Len() int { return k.set.len() }

func (k *Keys) valid(key string) bool {
	exp, ok := (*k.set.cur.Load())[key]
	return ok && k.live(exp)
}

func (k *Keys) validBytes(key []byte) bool {
	exp, ok := (*k.set.cur.Load())[string(key)] // no allocation: map index
	return ok && k.live(exp)
}

// live reports whether a key with this expiry may be used now.
func (k *Keys) live(exp int64) bool {
	return exp == 0 || k.now().UnixNano() < exp
}
