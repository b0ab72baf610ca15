package access

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
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
type fileSet[K comparable] struct {
	path  string
	what  string
	parse func(io.Reader) (map[K]struct{}, error)
	cur   atomic.Pointer[map[K]struct{}]
}

func (f *fileSet[K]) load() error {
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

func (f *fileSet[K]) len() int { return len(*f.cur.Load()) }

// HashFilter is an info hash allow-list or deny-list read from a file.
type HashFilter struct {
	set  fileSet[[20]byte]
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
	f := &HashFilter{set: fileSet[[20]byte]{path: path, what: what, parse: ParseInfoHashes}, deny: deny}
	if err := f.set.load(); err != nil {
		return nil, err
	}
	return f, nil
}

// Reload reads the file again. On error the previous list stays in force.
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
// file.
type Keys struct {
	set fileSet[string]
}

// LoadKeys reads the keys file at path.
func LoadKeys(path string) (*Keys, error) {
	k := &Keys{set: fileSet[string]{path: path, what: "keys file", parse: ParseKeys}}
	if err := k.set.load(); err != nil {
		return nil, err
	}
	return k, nil
}

// Reload reads the file again. On error the previous keys stay in force.
func (k *Keys) Reload() error { return k.set.load() }

// Len is the number of keys.
func (k *Keys) Len() int { return k.set.len() }

func (k *Keys) valid(key string) bool {
	_, ok := (*k.set.cur.Load())[key]
	return ok
}

func (k *Keys) validBytes(key []byte) bool {
	_, ok := (*k.set.cur.Load())[string(key)] // no allocation: map index
	return ok
}
