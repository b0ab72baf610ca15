package signaling

import (
	"net/netip"
	"sync"
)

// admissions counts the connections MaxConns and MaxConnsPerIP bound:
// accepted ones and upgrades in progress. A slot is taken before the
// upgrade and given back when the connection is closed (session.Closed).
type admissions struct {
	mu    sync.Mutex
	total int
	perIP map[netip.Addr]int // by addrKey; entries are deleted at zero
}

// addrKey is the address connections are counted under: IPv6 clients by
// their /64, since one subscriber usually holds a whole /64.
func addrKey(a netip.Addr) netip.Addr {
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// admit reserves a connection slot for key, or returns the limit that
// refuses it.
func (h *Handler) admit(key netip.Addr) Limit {
	maxAll, maxIP := h.cfg.MaxConns, h.cfg.MaxConnsPerIP
	if maxAll == 0 && maxIP == 0 {
		return 0
	}
	a := &h.admitted
	a.mu.Lock()
	defer a.mu.Unlock()
	if maxAll > 0 && a.total >= maxAll {
		return LimitConns
	}
	if maxIP > 0 {
		if a.perIP[key] >= maxIP {
			return LimitConnsPerIP
		}
		if a.perIP == nil {
			a.perIP = make(map[netip.Addr]int)
		}
		a.perIP[key]++
	}
	a.total++
	return 0
}

// release gives back the slot admit reserved.
func (h *Handler) release(key netip.Addr) {
	if h.cfg.MaxConns == 0 && h.cfg.MaxConnsPerIP == 0 {
		return
	}
	a := &h.admitted
	a.mu.Lock()
	a.total--
	if h.cfg.MaxConnsPerIP > 0 {
		if n := a.perIP[key] - 1; n > 0 {
			a.perIP[key] = n
		} else {
			delete(a.perIP, key)
		}
	}
	a.mu.Unlock()
}
