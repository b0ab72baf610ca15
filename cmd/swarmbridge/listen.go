package main

import (
	"fmt"
	"net"

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
