package check

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/trackerclient"
)

// probe is what the steps need from one transport. The WebSocket probe
// also carries what its offer and WebRTC steps need (wsProbe).
type probe interface {
	// openStep names the first step: "reach" (HTTP: TCP, and TLS for
	// https) or "connect" (UDP: BEP 15 connect; WebSocket: both peers'
	// handshakes).
	openStep() string
	open(ctx context.Context) (detail string, warns []Warning, err error)
	// announce sends req for the peer whose id it carries.
	announce(ctx context.Context, req trackerclient.AnnounceRequest) (*trackerclient.AnnounceResponse, error)
	// noScrape says why the tracker cannot be scraped (nil: it can).
	noScrape() error
	scrape(ctx context.Context, hashes []bittorrent.InfoHash) (*trackerclient.ScrapeResponse, error)
	close()
}

type httpProbe struct {
	u   *url.URL
	c   *trackerclient.HTTPClient
	tls *tls.Config
}

func newHTTPProbe(u *url.URL, tc *tls.Config) (*httpProbe, error) {
	c, err := trackerclient.NewHTTP(u.String(), trackerclient.Options{UserAgent: userAgent, TLSConfig: tc})
	if err != nil {
		return nil, err
	}
	return &httpProbe{u: u, c: c, tls: tc}, nil
}

// userAgent names the checker to trackers (HTTP requests and WebSocket
// handshakes).
const userAgent = "swarmbridge-check"

func (p *httpProbe) openStep() string { return "reach" }

// open dials the tracker's TCP port (and shakes hands for https) apart
// from the HTTP client, so that "unreachable" and "answers wrongly" are
// different rows.
func (p *httpProbe) open(ctx context.Context) (string, []Warning, error) {
	host := p.u.Host
	if p.u.Port() == "" {
		port := "80"
		if p.u.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(p.u.Hostname(), port)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close()
	detail := "TCP to " + conn.RemoteAddr().String()
	if p.u.Scheme == "https" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if p.tls != nil {
			cfg = p.tls.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = p.u.Hostname()
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return "", nil, fmt.Errorf("TLS: %w", err)
		}
		detail += ", " + tls.VersionName(tc.ConnectionState().Version)
	}
	return detail, nil, nil
}

func (p *httpProbe) announce(ctx context.Context, req trackerclient.AnnounceRequest) (*trackerclient.AnnounceResponse, error) {
	return p.c.Announce(ctx, req)
}

func (p *httpProbe) noScrape() error {
	_, err := p.c.ScrapeURL()
	return err
}

func (p *httpProbe) scrape(ctx context.Context, hashes []bittorrent.InfoHash) (*trackerclient.ScrapeResponse, error) {
	return p.c.Scrape(ctx, hashes)
}

func (p *httpProbe) close() { _ = p.c.Close() }

type udpProbe struct {
	c *trackerclient.UDPClient
}

// newUDPProbe retransmits on a schedule fitted to the step timeout:
// BEP 15's 15 s first wait would use up a whole step on one lost packet.
func newUDPProbe(u *url.URL, timeout time.Duration) (*udpProbe, error) {
	first := min(max(timeout/8, 250*time.Millisecond), 2*time.Second)
	c, err := trackerclient.NewUDP(u.String(), trackerclient.Options{Retransmit: trackerclient.Schedule{First: first, Attempts: 4}})
	if err != nil {
		return nil, err
	}
	return &udpProbe{c: c}, nil
}

func (p *udpProbe) openStep() string { return "connect" }

func (p *udpProbe) open(ctx context.Context) (string, []Warning, error) {
	id, err := p.c.Connect(ctx)
	if err != nil {
		return "", nil, err
	}
	var warns []Warning
	if id == trackerclient.ProtocolID {
		warns = append(warns, warnConnIDMagic)
	}
	return fmt.Sprintf("connection id %016x", id), warns, nil
}

func (p *udpProbe) announce(ctx context.Context, req trackerclient.AnnounceRequest) (*trackerclient.AnnounceResponse, error) {
	return p.c.Announce(ctx, req)
}

func (p *udpProbe) noScrape() error { return nil }

func (p *udpProbe) scrape(ctx context.Context, hashes []bittorrent.InfoHash) (*trackerclient.ScrapeResponse, error) {
	return p.c.Scrape(ctx, hashes)
}

func (p *udpProbe) close() { _ = p.c.Close() }
