package server

import (
	"net"
	"net/netip"
	"testing"

	"github.com/swarmbridge/swarmbridge/internal/config"
)

// The start-up log tells a new user where the page and the WebSocket
// tracker are; a wildcard listener is shown as localhost.
func TestTrackerURLs(t *testing.T) {
	tls := config.Config{TLSCert: "cert.pem"}
	for _, tc := range []struct {
		cfg      config.Config
		addr     string
		page, ws string
	}{
		{config.Config{}, "[::]:8000", "http://localhost:8000/", "ws://localhost:8000"},
		{config.Config{}, "0.0.0.0:8000", "http://localhost:8000/", "ws://localhost:8000"},
		{config.Config{}, "127.0.0.1:9000", "http://127.0.0.1:9000/", "ws://127.0.0.1:9000"},
		{config.Config{}, "[2001:db8::1]:80", "http://[2001:db8::1]:80/", "ws://[2001:db8::1]:80"},
		{tls, "[::]:443", "https://localhost:443/", "wss://localhost:443"},
	} {
		addr := net.TCPAddrFromAddrPort(netip.MustParseAddrPort(tc.addr))
		page, ws := trackerURLs(tc.cfg, addr)
		if page != tc.page || ws != tc.ws {
			t.Errorf("%s: %s %s, want %s %s", tc.addr, page, ws, tc.page, tc.ws)
		}
	}
}

// /readyz prints each listener by these words.
func TestListenerNames(t *testing.T) {
	for l, want := range map[listener]string{tcpListener: "tcp", udpListener: "udp", metricsListener: "metrics", listenerCount: "listener(3)"} {
		if got := l.String(); got != want {
			t.Errorf("listener %d is %q, want %q", l, got, want)
		}
	}
}
