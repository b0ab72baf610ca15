package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/swarmbridge/swarmbridge/internal/config"
)

// Listeners are the sockets the tracker serves. Run takes ownership of
// them and closes them all before it returns.
type Listeners struct {
	// HTTP serves WebSocket upgrades, HTTP announces and scrapes, the page
	// and /healthz (with TLS when SWARMBRIDGE_TLS_CERT is set). Required.
	HTTP net.Listener
	// UDP serves UDP announces and scrapes; nil when UDP is off.
	UDP *net.UDPConn
	// Metrics serves /metrics, /healthz and /readyz apart from the public
	// port; nil unless SWARMBRIDGE_METRICS_ADDR is set.
	Metrics net.Listener
	// Admin serves the management API; nil unless SWARMBRIDGE_ADMIN_ADDR
	// is set to an address of its own (the same as HTTP_ADDR or
	// METRICS_ADDR puts the API on that listener).
	Admin net.Listener
}

// Listen opens every socket cfg asks for, or none: on error the ones
// already open are closed again.
func Listen(ctx context.Context, cfg config.Config) (Listeners, error) {
	var (
		lc  net.ListenConfig
		ls  Listeners
		err error
	)
	if ls.HTTP, err = lc.Listen(ctx, "tcp", cfg.HTTPAddr); err != nil {
		return Listeners{}, fmt.Errorf("listen on SWARMBRIDGE_HTTP_ADDR: %w", err)
	}
	if cfg.UDPAddr != "" {
		// "udp" with an unspecified host is one dual-stack socket on
		// Linux: IPv4 clients arrive as IPv4-mapped addresses, which the
		// UDP tracker unmaps.
		pc, err := lc.ListenPacket(ctx, "udp", cfg.UDPAddr)
		if err != nil {
			_ = ls.Close()
			return Listeners{}, fmt.Errorf("listen on SWARMBRIDGE_UDP_ADDR: %w", err)
		}
		udp, ok := pc.(*net.UDPConn)
		if !ok { // ListenPacket returns a *net.UDPConn for "udp"; never seen otherwise
			_ = pc.Close()
			_ = ls.Close()
			return Listeners{}, fmt.Errorf("listen on SWARMBRIDGE_UDP_ADDR: got a %T, not a UDP socket", pc)
		}
		ls.UDP = udp
	}
	if cfg.MetricsAddr != "" {
		if ls.Metrics, err = lc.Listen(ctx, "tcp", cfg.MetricsAddr); err != nil {
			_ = ls.Close()
			return Listeners{}, fmt.Errorf("listen on SWARMBRIDGE_METRICS_ADDR: %w", err)
		}
	}
	if cfg.Admin() == config.AdminOwnListener {
		if ls.Admin, err = lc.Listen(ctx, "tcp", cfg.AdminAddr); err != nil {
			_ = ls.Close()
			return Listeners{}, fmt.Errorf("listen on SWARMBRIDGE_ADMIN_ADDR: %w", err)
		}
	}
	return ls, nil
}

// Close closes every listener that is set.
func (ls Listeners) Close() error {
	var errs []error
	if ls.HTTP != nil {
		errs = append(errs, ls.HTTP.Close())
	}
	if ls.UDP != nil {
		errs = append(errs, ls.UDP.Close())
	}
	if ls.Metrics != nil {
		errs = append(errs, ls.Metrics.Close())
	}
	if ls.Admin != nil {
		errs = append(errs, ls.Admin.Close())
	}
	return errors.Join(errs...)
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
