package clientip

import (
	"fmt"
	"net/netip"
	"strings"
)

// ParsePrefixes parses a comma-separated list of CIDR prefixes, as found in
// an environment variable. Bare addresses are accepted as single-host
// prefixes (/32 or /128). Blank entries are skipped, so "" yields no
// prefixes. Zones are refused: a trusted-proxy list names networks, and a
// zone would silently never match the zoneless addresses compared against it.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for field := range strings.SplitSeq(s, ",") {
		field = strings.TrimSpace(field)
		if field == "" {
			continue
		}
		p, err := parsePrefix(field)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func parsePrefix(field string) (netip.Prefix, error) {
	if strings.Contains(field, "/") {
		p, err := netip.ParsePrefix(field)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("clientip: trusted prefix %q: %w", field, err)
		}
		if p.Addr().Is4In6() && p.Bits() < 96 {
			return netip.Prefix{}, fmt.Errorf("clientip: trusted prefix %q: IPv4-mapped prefix shorter than /96 mixes families", field)
		}
		return normalizePrefix(p), nil
	}
	a, err := netip.ParseAddr(field)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("clientip: trusted address %q: %w", field, err)
	}
	if a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("clientip: trusted address %q: zones are not allowed", field)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
