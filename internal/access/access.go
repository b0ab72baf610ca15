// Package access decides who may use the tracker: which web pages may open
// WebSockets (an Origin allow-list), which torrents may be tracked (an info
// hash allow-list or deny-list) and, in private mode, which keys may
// announce. The lists come from files and are swapped atomically when
// reloaded, so a reload never blocks or drops a request, and a file that
// fails to parse leaves the previous version in force.
//
// The package knows nothing about transports: the composition root
// (internal/server) asks it from the hooks each transport offers.
package access

import (
	"errors"
	"fmt"
)

// Errors whose text is sent to clients as the failure reason.
var (
	// ErrInfoHashNotAllowed: the torrent is not on the allow-list, or is
	// on the deny-list.
	ErrInfoHashNotAllowed = errors.New("info_hash not allowed")
	// ErrMissingKey: private mode, and the announce URL carries no key.
	ErrMissingKey = errors.New("private tracker: the announce URL must contain your key")
	// ErrUnknownKey: private mode, and the key is not (or no longer) listed.
	ErrUnknownKey = errors.New("unknown key")
)

// Control is the tracker's access policy. Each part is optional: nil
// Origins lets every page in, nil Hashes allows every torrent, nil Keys
// means the tracker is open (not private). It is safe for concurrent use,
// Reload included.
type Control struct {
	Origins *Origins
	Hashes  *HashFilter
	Keys    *Keys
}

// Reload re-reads the list files. Each file that fails keeps its previous
// version; the error names every file that failed.
func (c *Control) Reload() error {
	var errs []error
	if c.Hashes != nil {
		errs = append(errs, c.Hashes.Reload())
	}
	if c.Keys != nil {
		errs = append(errs, c.Keys.Reload())
	}
	return errors.Join(errs...)
}

// AllowOrigin reports whether a browser page with this Origin header may
// open a WebSocket.
func (c *Control) AllowOrigin(origin string) bool {
	return c.Origins == nil || c.Origins.Allow(origin)
}

// CheckInfoHash returns ErrInfoHashNotAllowed for a torrent the lists
// exclude, nil otherwise.
func (c *Control) CheckInfoHash(ih [20]byte) error {
	if c.Hashes != nil && !c.Hashes.Allow(ih) {
		return ErrInfoHashNotAllowed
	}
	return nil
}

// Private reports whether announces need a key.
func (c *Control) Private() bool { return c.Keys != nil }

// CheckPath checks the key in the path of an announce or scrape URL (see
// ParsePath); a query, if any, is ignored. In open mode every path passes.
// In private mode the path must carry a listed key: ErrMissingKey when it
// carries none, ErrUnknownKey when the key is not listed.
func (c *Control) CheckPath(path string) error {
	if c.Keys == nil {
		return nil
	}
	_, ks, ke, ok := parsePath(path)
	if !ok || ks == ke {
		return ErrMissingKey
	}
	if !c.Keys.valid(path[ks:ke]) {
		return ErrUnknownKey
	}
	return nil
}

// CheckURLData is CheckPath for the path and query a UDP client sent in
// BEP 41 URLData options. It does not allocate.
func (c *Control) CheckURLData(urlData []byte) error {
	if c.Keys == nil {
		return nil
	}
	_, ks, ke, ok := parsePath(urlData)
	if !ok || ks == ke {
		return ErrMissingKey
	}
	if !c.Keys.validBytes(urlData[ks:ke]) {
		return ErrUnknownKey
	}
	return nil
}

// Summary describes the policy in force, for logs.
func (c *Control) Summary() string {
	s := "origins: any"
	if c.Origins != nil && !c.Origins.Open() {
		s = "origins: " + c.Origins.String()
	}
	if c.Hashes != nil {
		kind := "allow-list"
		if c.Hashes.deny {
			kind = "deny-list"
		}
		s += fmt.Sprintf("; info hash %s: %d hashes", kind, c.Hashes.Len())
	}
	if c.Keys != nil {
		s += fmt.Sprintf("; private: %d keys", c.Keys.Len())
	}
	return s
}
