// Package clientip decides which IP address an HTTP request came from.
//
// By default that is the TCP peer. Forwarding headers are written by whoever
// sent the request, so they are believed only when the TCP peer is a proxy
// the operator configured as trusted; otherwise any client could announce
// somebody else's address into a swarm (docs/protocol.md §10.9).
package clientip

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// ErrNoAddr is wrapped by every error ClientAddr returns: the request does
// not carry an address that can be used.
var ErrNoAddr = errors.New("clientip: no usable client address")

// Resolver maps a request to its client address. The zero value and a
// Resolver without trusted prefixes both use the TCP peer address only.
// A Resolver is immutable and safe for concurrent use.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a Resolver that honours forwarding headers from TCP peers
// inside trusted. The slice is copied; IPv4-mapped prefixes are converted to
// IPv4 because client addresses are always compared unmapped.
func New(trusted []netip.Prefix) *Resolver {
	r := &Resolver{trusted: make([]netip.Prefix, 0, len(trusted))}
	for _, p := range trusted {
		if !p.IsValid() {
			continue
		}
		r.trusted = append(r.trusted, normalizePrefix(p))
	}
	return r
}

// normalizePrefix turns ::ffff:a.b.c.d/n (n >= 96) into a.b.c.d/(n-96) and
// masks host bits, so Contains on unmapped addresses behaves as configured.
func normalizePrefix(p netip.Prefix) netip.Prefix {
	a := p.Addr()
	if a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked()
}

// isTrusted reports whether a (unmapped, zoneless) is a configured proxy.
func (r *Resolver) isTrusted(a netip.Addr) bool {
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddr returns the client address of req, unmapped and without zone.
//
// When the TCP peer is trusted it walks all X-Forwarded-For headers, joined
// in order, from right to left and returns the first address that is not
// trusted: everything to its right was appended by trusted proxies, anything
// to its left was supplied by the client and may be forged. If every hop is
// trusted, the left-most one is the origin and is returned. Without
// X-Forwarded-For, the last X-Real-IP header is used; without either, the
// TCP peer. A malformed entry reached during the walk is an error rather than
// a fallback, because falling back would attribute the request to the proxy.
func (r *Resolver) ClientAddr(req *http.Request) (netip.Addr, error) {
	peer, err := parseRemoteAddr(req.RemoteAddr)
	if err != nil {
		return netip.Addr{}, err
	}
	if r == nil || len(r.trusted) == 0 || !r.isTrusted(peer) {
		return peer, nil
	}
	if xff := req.Header.Values("X-Forwarded-For"); hasContent(xff) {
		return r.fromForwardedFor(xff)
	}
	if real := req.Header.Values("X-Real-IP"); len(real) > 0 {
		// A proxy that sets X-Real-IP replaces the header, so the last
		// value is the one closest to us.
		a, ok := parseHop(real[len(real)-1])
		if !ok {
			return netip.Addr{}, fmt.Errorf("%w: malformed X-Real-IP %q", ErrNoAddr, real[len(real)-1])
		}
		return a, nil
	}
	return peer, nil
}

// hasContent reports whether any header value is more than whitespace and
// commas, so an empty X-Forwarded-For does not hide X-Real-IP.
func hasContent(values []string) bool {
	for _, v := range values {
		if strings.Trim(v, " \t,") != "" {
			return true
		}
	}
	return false
}

// fromForwardedFor walks the X-Forwarded-For values right to left without
// joining them into a new string.
func (r *Resolver) fromForwardedFor(values []string) (netip.Addr, error) {
	var origin netip.Addr
	for i := len(values) - 1; i >= 0; i-- {
		rest := values[i]
		for rest != "" {
			var hop string
			if j := strings.LastIndexByte(rest, ','); j >= 0 {
				hop, rest = rest[j+1:], rest[:j]
			} else {
				hop, rest = rest, ""
			}
			if strings.Trim(hop, " \t") == "" {
				continue // "a,,b" and trailing commas carry no hop
			}
			a, ok := parseHop(hop)
			if !ok {
				return netip.Addr{}, fmt.Errorf("%w: malformed X-Forwarded-For entry %q", ErrNoAddr, hop)
			}
			if !r.isTrusted(a) {
				return a, nil
			}
			origin = a
		}
	}
	// Every hop was a trusted proxy (hasContent guarantees there was one).
	return origin, nil
}

// parseRemoteAddr parses http.Request.RemoteAddr ("ip:port", "[ip%zone]:port"
// and, from some test harnesses, a bare ip).
func parseRemoteAddr(s string) (netip.Addr, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return normalize(ap.Addr()), nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return normalize(a), nil
	}
	return netip.Addr{}, fmt.Errorf("%w: malformed RemoteAddr %q", ErrNoAddr, s)
}

// parseHop parses one forwarding-header entry: "a.b.c.d", "v6", "[v6]",
// and either with a port ("a.b.c.d:p", "[v6]:p"), which some proxies add.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.Trim(s, " \t")
	if a, err := netip.ParseAddr(s); err == nil {
		return normalize(a), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return normalize(ap.Addr()), true
	}
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return normalize(a), true
		}
	}
	return netip.Addr{}, false
}

// normalize unmaps ::ffff:a.b.c.d and drops zones: peers are stored and
// compared in one canonical form (swarm.Peer.Addr).
func normalize(a netip.Addr) netip.Addr {
	return a.Unmap().WithZone("")
}
