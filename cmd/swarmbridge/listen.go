package main

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/swarmbridge/swarmbridge/internal/config"
)

// listeners are the sockets the tracker serves; serve takes ownership.
type listeners struct {
	http    net.Listener
	udp     *net.UDPConn // nil when UDP is off
	metrics net.Listener // nil unless SWARMBRIDGE_METRICS_ADDR is set
}

// listen opens every socket the configuration asks for, or none.
func listen(cfg config.Config) (*listeners, error) {
	ls := &listeners{}
	var err error
	if ls.http, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("listen on SWARMBRIDGE_HTTP_ADDR: %w", err)
	}
	if cfg.UDPAddr != "" {
		addr, err := net.ResolveUDPAddr("udp", cfg.UDPAddr)
		if err == nil {
			// "udp" with an unspecified host is one dual-stack socket on
			// Linux: IPv4 clients arrive as IPv4-mapped addresses, which the
			// UDP tracker unmaps.
			ls.udp, err = net.ListenUDP("udp", addr)
		}
		if err != nil {
			ls.close()
			return nil, fmt.Errorf("listen on SWARMBRIDGE_UDP_ADDR: %w", err)
		}
	}
	if cfg.MetricsAddr != "" {
		if ls.metrics, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ls.close()
			return nil, fmt.Errorf("listen on SWARMBRIDGE_METRICS_ADDR: %w", err)
		}
	}
	return ls, nil
}

func (ls *listeners) close() {
	if ls.http != nil {
		_ = ls.http.Close()
	}
	if ls.udp != nil {
		_ = ls.udp.Close()
	}
	if ls.metrics != nil {
		_ = ls.metrics.Close()
	}
}

// trackerURLs are the addresses to give people for a listener at addr:
// the demo page, and the WebSocket URL for WebTorrent's announce list. A
// wildcard listener ([::]:8000) is shown as localhost, which a browser on
// the same machine can open.
func trackerURLs(cfg config.Config, addr net.Addr) (page, ws string) {
	host := addr.String()
	if ap, err := netip.ParseAddrPort(host); err == nil && ap.Addr().IsUnspecified() {
		host = net.JoinHostPort("localhost", strconv.Itoa(int(ap.Port())))
	}
	if cfg.TLSCert != "" {
		return "https://" + host + "/", "wss://" + host
	}
	return "http://" + host + "/", "ws://" + host
}
