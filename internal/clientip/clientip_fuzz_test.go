package clientip

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

// FuzzClientAddr: any X-Forwarded-For and X-Real-IP a client or a proxy
// can send. The resolver must not panic, must return canonical addresses,
// must never let a client that is not a trusted proxy choose its address,
// and must only return an address that was in the request.
func FuzzClientAddr(f *testing.F) {
	for _, s := range [][3]string{
		{"127.0.0.1:1", "203.0.113.7", ""},
		{"127.0.0.1:1", "198.51.100.1, 10.0.0.2", ""},
		{"127.0.0.1:1", "", "2001:db8::1"},
		{"127.0.0.1:1", "[2001:db8::1]:443, ::ffff:10.1.2.3", "x"},
		{"10.0.0.9:80", "garbage, 203.0.113.7", ""},
		{"203.0.113.9:5", "127.0.0.1", "127.0.0.1"},
		{"[::1]:9", ",,, ,", "fe80::1%eth0"},
		{"127.0.0.1:1", "1.2.3.4:5, [::1]", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	r := New([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")})
	f.Fuzz(func(t *testing.T, remote, xff, real string) {
		req := &http.Request{RemoteAddr: remote, Header: http.Header{}}
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		if real != "" {
			req.Header.Set("X-Real-IP", real)
		}
		a, err := r.ClientAddr(req)
		peer, perr := parseRemoteAddr(remote)
		if perr != nil {
			if err == nil {
				t.Fatalf("RemoteAddr %q unreadable, yet resolved to %v", remote, a)
			}
			return
		}
		if !r.isTrusted(peer) {
			if err != nil || a != peer {
				t.Fatalf("untrusted peer %v got %v, %v: headers must be ignored", peer, a, err)
			}
			return
		}
		if err != nil {
			return
		}
		if !a.IsValid() || a.Is4In6() || a.Zone() != "" {
			t.Fatalf("%v is not canonical", a)
		}
		if a != peer && !mentions(xff, a) && !mentions(real, a) {
			t.Fatalf("resolved %v, which is neither the peer %v nor in the headers %q / %q", a, peer, xff, real)
		}
	})
}

// mentions reports whether one of the comma-separated entries of header
// parses to a.
func mentions(header string, a netip.Addr) bool {
	for hop := range strings.SplitSeq(header, ",") {
		if h, ok := parseHop(hop); ok && h == a {
			return true
		}
	}
	return false
}
