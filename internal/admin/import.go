package admin

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"slices"

	"github.com/swarmbridge/swarmbridge/internal/access"
)

// importFile loads a keys file or an info hash list file (the formats
// SWARMBRIDGE_KEYS_FILE and the list variables read) into the database,
// through the API. The whole file is parsed first: a bad line stops the
// import before anything is sent, naming the line.
func (c *cli) importFile(ctx context.Context, kind string, args []string) error {
	var note string
	rest, err := flags("import "+kind, args, func(fs *flag.FlagSet) { fs.StringVar(&note, "note", "", "") })
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("import %s takes one file", kind)
	}
	path := rest[0]
	switch kind {
	case "keys":
		keys, err := readKeysFile(path)
		if err != nil {
			return err
		}
		r, err := c.client.ImportKeys(ctx, keys, note)
		if err != nil {
			return fmt.Errorf("after %d keys stored: %w", r.Added, err)
		}
		return c.print(r, func() { fmt.Fprintf(c.out, "%d keys: %d added, %d already stored\n", len(keys), r.Added, r.Unchanged) })
	case "allow", "deny":
		hashes, err := readHashFile(path)
		if err != nil {
			return err
		}
		if err := c.checkMode(ctx, kind); err != nil {
			return err
		}
		r, err := c.client.AddInfoHashes(ctx, hashes, note)
		if err != nil {
			return fmt.Errorf("after %d info hashes added: %w", r.Added, err)
		}
		return c.print(r, func() {
			fmt.Fprintf(c.out, "%d info hashes: %d added, %d already listed\n", len(hashes), r.Added, r.Unchanged)
		})
	}
	return usagef("import keys|allow|deny FILE")
}

// readKeysFile parses a keys file; the keys come out sorted.
func readKeysFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	set, err := access.ParseKeys(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, nil
}

// readHashFile parses an info hash list file; the hashes come out as
// sorted lowercase hex.
func readHashFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	set, err := access.ParseInfoHashes(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	hashes := make([]string, 0, len(set))
	for ih := range set {
		hashes = append(hashes, hex.EncodeToString(ih[:]))
	}
	slices.Sort(hashes)
	return hashes, nil
}

// ImportKeysFile stores every key of a keys file straight into store,
// without the API (for a start-up import or a command that opens the
// database itself).
func ImportKeysFile(ctx context.Context, store Store, path, note string) (BatchResult, error) {
	keys, err := readKeysFile(path)
	if err != nil {
		return BatchResult{}, err
	}
	added, err := store.ImportKeys(ctx, keys, note)
	if err != nil {
		return BatchResult{}, err
	}
	return BatchResult{Added: added, Unchanged: len(keys) - added}, nil
}

// ImportInfoHashFile puts every hash of a list file straight into store.
func ImportInfoHashFile(ctx context.Context, store Store, path, note string) (BatchResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return BatchResult{}, err
	}
	defer f.Close()
	set, err := access.ParseInfoHashes(f)
	if err != nil {
		return BatchResult{}, fmt.Errorf("%s: %w", path, err)
	}
	hashes := make([][20]byte, 0, len(set))
	for ih := range set {
		hashes = append(hashes, ih)
	}
	added, err := store.AddInfoHashes(ctx, hashes, note)
	if err != nil {
		return BatchResult{}, err
	}
	return BatchResult{Added: added, Unchanged: len(hashes) - added}, nil
}
