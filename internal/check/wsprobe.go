package check

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/trackerclient"
)

// wsProbe checks a WebSocket (WebTorrent) tracker. Each simulated peer
// has its own connection, as two browsers would: a tracker relays offers
// between connections, and closing one removes its peers.
type wsProbe struct {
	u    *url.URL
	a, b *trackerclient.WSClient
	// ids maps a peer id to its connection; set by open.
	ids map[bittorrent.PeerID]*trackerclient.WSClient
}

func newWSProbe(u *url.URL, tc *tls.Config) (*wsProbe, error) {
	p := &wsProbe{u: u}
	for _, c := range []**trackerclient.WSClient{&p.a, &p.b} {
		// Messages are read by the offer and WebRTC steps; 64 is plenty
		// for a swarm of two.
		ws, err := trackerclient.NewWS(u.String(), trackerclient.Options{UserAgent: userAgent, TLSConfig: tc})
		if err != nil {
			p.close()
			return nil, err
		}
		*c = ws
	}
	return p, nil
}

func (p *wsProbe) openStep() string { return "connect" }

// open opens both peers' connections (TCP, TLS for wss, the WebSocket
// handshake), so that "unreachable" and "refuses WebSockets" show here.
func (p *wsProbe) open(ctx context.Context) (string, []Warning, error) {
	for _, c := range []*trackerclient.WSClient{p.a, p.b} {
		if err := c.Connect(ctx); err != nil {
			return "", nil, err
		}
	}
	detail := "A and B connected to " + p.a.RemoteAddr().String()
	if st, ok := p.a.TLSConnectionState(); ok {
		detail += ", " + tls.VersionName(st.Version)
	}
	return detail, nil, nil
}

// bind tells the probe which connection each peer id uses.
func (p *wsProbe) bind(a, b bittorrent.PeerID) {
	p.ids = map[bittorrent.PeerID]*trackerclient.WSClient{a: p.a, b: p.b}
}

func (p *wsProbe) announce(ctx context.Context, req trackerclient.AnnounceRequest) (*trackerclient.AnnounceResponse, error) {
	c, ok := p.ids[req.PeerID]
	if !ok {
		return nil, errors.New("check: announce for a peer id the WebSocket probe does not know")
	}
	return c.Announce(ctx, req)
}

func (p *wsProbe) noScrape() error { return nil }

func (p *wsProbe) scrape(ctx context.Context, hashes []bittorrent.InfoHash) (*trackerclient.ScrapeResponse, error) {
	return p.a.Scrape(ctx, hashes)
}

// loopback reports whether the tracker was reached on a loopback address,
// where the WebRTC peers gather loopback candidates only.
func (p *wsProbe) loopback() bool {
	ta, ok := p.a.RemoteAddr().(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

func (p *wsProbe) close() {
	for _, c := range []*trackerclient.WSClient{p.a, p.b} {
		if c != nil {
			_ = c.Close()
		}
	}
}

// await waits for a message on c of kind that match accepts. Other
// messages, on c and on watch (the other peer of the exchange), are kept
// in seen: offers and answers of strangers (a swarm given with -infohash
// has other peers), or the tracker misbehaving, which the step judges. A
// failure the tracker sends meanwhile on either connection ends the wait:
// it is the tracker refusing a message of this exchange.
func await(ctx context.Context, c, watch *trackerclient.WSClient, kind trackerclient.MessageKind,
	match func(trackerclient.Message) bool, seen *[]trackerclient.Message,
) (trackerclient.Message, error) {
	for {
		var m trackerclient.Message
		var ok, onWatch bool
		select {
		case m, ok = <-c.Messages():
		case m, ok = <-watch.Messages():
			onWatch = true
		case <-ctx.Done():
			return trackerclient.Message{}, ctx.Err()
		}
		switch {
		case !ok && onWatch:
			return m, fmt.Errorf("the other peer's connection ended: %w", watch.Err())
		case !ok:
			return m, fmt.Errorf("the connection ended: %w", c.Err())
		case m.Kind == trackerclient.MessageFailure:
			return m, m.Failure
		case !onWatch && m.Kind == kind && match(m):
			return m, nil
		}
		*seen = append(*seen, m)
	}
}
