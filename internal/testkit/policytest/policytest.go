// Package policytest builds bittorrent.Policy values out of functions, for
// the transports' tests.
package policytest

import (
	"net/netip"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// Funcs is a bittorrent.Policy whose methods call its fields; a nil field
// allows everything.
type Funcs struct {
	AllowFunc     func(t bittorrent.Transport, addr netip.Addr) bool
	AdmitFunc     func(t bittorrent.Transport, addr netip.Addr, origin, path string) error
	AuthorizeFunc func(t bittorrent.Transport, a bittorrent.Action, ih bittorrent.InfoHash, path string) error
}

// Allow calls AllowFunc.
func (f Funcs) Allow(t bittorrent.Transport, addr netip.Addr) bool {
	return f.AllowFunc == nil || f.AllowFunc(t, addr)
}

// Admit calls AdmitFunc.
func (f Funcs) Admit(t bittorrent.Transport, addr netip.Addr, origin, path string) error {
	if f.AdmitFunc == nil {
		return nil
	}
	return f.AdmitFunc(t, addr, origin, path)
}

// Authorize calls AuthorizeFunc.
func (f Funcs) Authorize(t bittorrent.Transport, a bittorrent.Action, ih bittorrent.InfoHash, path string) error {
	if f.AuthorizeFunc == nil {
		return nil
	}
	return f.AuthorizeFunc(t, a, ih, path)
}
