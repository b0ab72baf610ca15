package clientip

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func mustPrefixes(t *testing.T, s string) []netip.Prefix {
	t.Helper()
	p, err := ParsePrefixes(s)
	if err != nil {
		t.Fatalf("ParsePrefixes(%q): %v", s, err)
	}
	return p
}

func TestClientAddr(t *testing.T) {
	trusted := "10.0.0.0/8, 192.168.1.1, fd00::/8, ::ffff:172.16.0.0/108"
	tests := []struct {
		name    string
		trusted string
		remote  string
		xff     []string
		realIP  []string
		want    string
		wantErr bool
	}{
		{name: "plain v4", remote: "203.0.113.5:4000", want: "203.0.113.5"},
		{name: "plain v6", remote: "[2001:db8::1]:4000", want: "2001:db8::1"},
		{name: "mapped v4 is unmapped", remote: "[::ffff:203.0.113.5]:4000", want: "203.0.113.5"},
		{name: "zone dropped", remote: "[fe80::1%eth0]:4000", want: "fe80::1"},
		{name: "bare remote address", remote: "203.0.113.5", want: "203.0.113.5"},
		{name: "malformed remote", remote: "nonsense", wantErr: true},
		{name: "empty remote", remote: "", wantErr: true},

		// Spoofing: headers from an untrusted peer are ignored.
		{name: "xff from untrusted peer ignored", trusted: trusted, remote: "203.0.113.5:1",
			xff: []string{"198.51.100.1"}, want: "203.0.113.5"},
		{name: "real-ip from untrusted peer ignored", trusted: trusted, remote: "203.0.113.5:1",
			realIP: []string{"198.51.100.1"}, want: "203.0.113.5"},
		{name: "no trusted config ignores xff", remote: "10.0.0.1:1",
			xff: []string{"198.51.100.1"}, want: "10.0.0.1"},
		{name: "malformed xff from untrusted peer ignored", trusted: trusted, remote: "203.0.113.5:1",
			xff: []string{"garbage"}, want: "203.0.113.5"},

		// Trusted proxy.
		{name: "single hop", trusted: trusted, remote: "10.1.2.3:1",
			xff: []string{"198.51.100.1"}, want: "198.51.100.1"},
		{name: "client-forged left entries skipped", trusted: trusted, remote: "10.1.2.3:1",
			xff: []string{"1.2.3.4, 5.6.7.8, 198.51.100.1"}, want: "198.51.100.1"},
		{name: "trusted hops on the right skipped", trusted: trusted, remote: "10.1.2.3:1",
			xff: []string{"1.2.3.4, 198.51.100.1, 10.9.9.9, 192.168.1.1"}, want: "198.51.100.1"},
		{name: "forged trusted entry left of real client does not help", trusted: trusted, remote: "10.1.2.3:1",
			xff: []string{"10.0.0.7, 198.51.100.1"}, want: "198.51.100.1"},
		{name: "multiple headers joined in order", trusted: trusted, remote: "10.1.2.3:1",
			xff: []string{"1.2.3.4, 198.51.100.1", "10.0.0.2", "10.0.0.3"}, want: "198.51.100.1"},
		{name: "client hop in second header", trusted: trusted, remote: "10.1.2.3:1",
			xff: []string{"1.2.3.4", "198.51.100.2, 10.0.0.3"}, want: "198.51.100.2"},
		{name: "all hops trusted gives origin", trusted: trusted, remote: "10.1.2.3:1",
			xff: []string{"10.0.0.5, 10.0.0.6"}, want: "10.0.0.5"},
		{name: "v6 hop", trusted: trusted, remote: "[fd00::1]:1",
			xff: []string{"2001:db8::7"}, want: "2001:db8::7"},
		{name: "bracketed v6 hop with port", trusted: trusted, remote: "10.1.2.3:1",
			xff: []string{"[2001:db8::7]:555"}, want: "2001:db8::7"},
		{name: "bracketed v6 hop", trusted: trusted, remote: "10.1.2.3:1",
			xff: []string{"[2001:db8::7]"}, want: "2001:db8::7"},
		{name: "v4 hop with port", trusted: trusted, remote: "10.1.2.3:1",
			xff: []string{"198.51.100.1:8080"}, want: "198.51.100.1"},
		{name: "mapped hop unmapped", trusted: trusted, remote: "10.1.2.3:1",
			xff: []string{"::ffff:198.51.100.1"}, want: "198.51.100.1"},
		{name: "mapped trusted hop skipped", trusted: trusted, remote: "10.1.2.3:1",
			xff: []string{"198.51.100.1, ::ffff:10.0.0.1"}, want: "198.51.100.1"},
		{name: "zone in hop dropped", trusted: trusted, remote: "10.1.2.3:1",
			xff: []string{"fe80::9%eth1"}, want: "fe80::9"},
		{name: "mapped proxy peer is trusted", trusted: trusted, remote: "[::ffff:10.1.2.3]:1",
			xff: []string{"198.51.100.1"}, want: "198.51.100.1"},
		{name: "mapped-prefix config matches v4 peer", trusted: trusted, remote: "172.16.5.5:1",
			xff: []string{"198.51.100.1"}, want: "198.51.100.1"},
		{name: "empty entries skipped", trusted: trusted, remote: "10.1.2.3:1",
			xff: []string{" 198.51.100.1 ,, ,"}, want: "198.51.100.1"},
		{name: "garbage at the right is an error", trusted: trusted, remote: "10.1.2.3:1",
			xff: []string{"198.51.100.1, unknown"}, wantErr: true},
		{name: "garbage left of the client is never reached", trusted: trusted, remote: "10.1.2.3:1",
			xff: []string{"<script>, 198.51.100.1"}, want: "198.51.100.1"},
		{name: "blank xff falls back to real-ip", trusted: trusted, remote: "10.1.2.3:1",
			xff: []string{" , "}, realIP: []string{"198.51.100.3"}, want: "198.51.100.3"},
		{name: "xff wins over real-ip", trusted: trusted, remote: "10.1.2.3:1",
			xff: []string{"198.51.100.1"}, realIP: []string{"198.51.100.3"}, want: "198.51.100.1"},
		{name: "real-ip", trusted: trusted, remote: "10.1.2.3:1",
			realIP: []string{"198.51.100.3"}, want: "198.51.100.3"},
		{name: "last real-ip wins", trusted: trusted, remote: "10.1.2.3:1",
			realIP: []string{"1.1.1.1", "198.51.100.3"}, want: "198.51.100.3"},
		{name: "real-ip v6 mapped", trusted: trusted, remote: "10.1.2.3:1",
			realIP: []string{"::ffff:198.51.100.3"}, want: "198.51.100.3"},
		{name: "malformed real-ip", trusted: trusted, remote: "10.1.2.3:1",
			realIP: []string{"example.com"}, wantErr: true},
		{name: "trusted peer without headers", trusted: trusted, remote: "10.1.2.3:1", want: "10.1.2.3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New(mustPrefixes(t, tc.trusted))
			req := httptest.NewRequest(http.MethodGet, "/announce", nil)
			req.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			for _, v := range tc.realIP {
				req.Header.Add("X-Real-IP", v)
			}
			got, err := r.ClientAddr(req)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("got %v, want error", got)
				}
				if !errors.Is(err, ErrNoAddr) {
					t.Fatalf("error %v does not wrap ErrNoAddr", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != netip.MustParseAddr(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			if got.Is4In6() || got.Zone() != "" {
				t.Fatalf("address %v is not normalized", got)
			}
		})
	}
}

func TestNilAndZeroResolver(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "[::ffff:192.0.2.1]:5"
	req.Header.Set("X-Forwarded-For", "198.51.100.1")
	for name, r := range map[string]*Resolver{"nil": nil, "zero": {}, "empty": New(nil)} {
		got, err := r.ClientAddr(req)
		if err != nil || got != netip.MustParseAddr("192.0.2.1") {
			t.Errorf("%s resolver: got %v, %v", name, got, err)
		}
	}
}

func TestNewCopiesPrefixes(t *testing.T) {
	p := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	r := New(p)
	p[0] = netip.MustParsePrefix("192.0.2.0/24")
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "10.0.0.1:1"
	req.Header.Set("X-Forwarded-For", "198.51.100.1")
	if got, _ := r.ClientAddr(req); got != netip.MustParseAddr("198.51.100.1") {
		t.Fatalf("resolver was affected by caller mutating its slice: %v", got)
	}
}

func TestParsePrefixes(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{in: "", want: nil},
		{in: " , ,", want: nil},
		{in: "10.0.0.0/8", want: []string{"10.0.0.0/8"}},
		{in: "10.1.2.3/8", want: []string{"10.0.0.0/8"}},
		{in: "192.0.2.1", want: []string{"192.0.2.1/32"}},
		{in: "2001:db8::1", want: []string{"2001:db8::1/128"}},
		{in: "::ffff:192.0.2.1", want: []string{"192.0.2.1/32"}},
		{in: "::ffff:10.0.0.0/104", want: []string{"10.0.0.0/8"}},
		{in: " 10.0.0.0/8 ,fd00::/8,127.0.0.1 ", want: []string{"10.0.0.0/8", "fd00::/8", "127.0.0.1/32"}},
		{in: "10.0.0.0/33", wantErr: true},
		{in: "example.com", wantErr: true},
		{in: "10.0.0.0/8,bogus", wantErr: true},
		{in: "fe80::1%eth0", wantErr: true},
		{in: "fe80::1%eth0/64", wantErr: true},
		{in: "::ffff:0:0/80", wantErr: true},
	}
	for _, tc := range tests {
		got, err := ParsePrefixes(tc.in)
		if tc.wantErr {
			if err == nil {
				t.Errorf("ParsePrefixes(%q) = %v, want error", tc.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParsePrefixes(%q): %v", tc.in, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("ParsePrefixes(%q) = %v, want %v", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != netip.MustParsePrefix(tc.want[i]) {
				t.Errorf("ParsePrefixes(%q)[%d] = %v, want %v", tc.in, i, got[i], tc.want[i])
			}
		}
	}
}

func BenchmarkClientAddrForwarded(b *testing.B) {
	r := New([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "10.0.0.1:1"
	req.Header.Set("X-Forwarded-For", "1.2.3.4, 198.51.100.1, 10.0.0.2")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.ClientAddr(req); err != nil {
			b.Fatal(err)
		}
	}
}
