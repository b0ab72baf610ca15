package native_test

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/testkit/trackerproc"
	"github.com/swarmbridge/swarmbridge/trackerclient"
)

// The well-behaved peers of these tests are the project's client library
// (trackerclient), so it is exercised against the built tracker on every
// run. It is built from the wire formats, not from tracker code: ids are
// percent-encoded byte by byte over HTTP, UDP replies are checked by
// transaction id and length, WebSocket JSON is read strictly.

// httpTracker is an HTTP client for the tracker's /announce.
func httpTracker(t testing.TB, tr *trackerproc.Tracker) *trackerclient.HTTPClient {
	t.Helper()
	c, err := trackerclient.NewHTTP(tr.HTTPURL()+"/announce", trackerclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// udpTracker is a UDP client on a socket of its own. Loopback does not
// lose packets, but a loaded machine may delay them: it retransmits after
// 2 s, up to 4 times.
func udpTracker(t testing.TB, addr string) *trackerclient.UDPClient {
	t.Helper()
	c, err := trackerclient.NewUDP("udp://"+addr, trackerclient.Options{Retransmit: trackerclient.Schedule{First: 2 * time.Second, Attempts: 4}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// announceReq is an announce that lets the tracker choose numwant.
func announceReq(ih, pid id20, port uint16, left int64, ev bittorrent.Event) trackerclient.AnnounceRequest {
	return trackerclient.AnnounceRequest{InfoHash: bittorrent.InfoHash(ih), PeerID: bittorrent.PeerID(pid), Port: port, Left: left, Event: ev}
}

// peerAddrs lists a reply's peers.
func peerAddrs(r *trackerclient.AnnounceResponse) []netip.AddrPort {
	var out []netip.AddrPort
	for _, p := range r.Peers {
		out = append(out, p.Addr)
	}
	return out
}

// sortedAddrs is peerAddrs in order.
func sortedAddrs(r *trackerclient.AnnounceResponse) []netip.AddrPort {
	out := peerAddrs(r)
	slices.SortFunc(out, netip.AddrPort.Compare)
	return out
}

// scrapeOne scrapes ih and fails when the reply leaves it out.
func scrapeOne(ctx context.Context, c trackerclient.Client, ih id20) (bittorrent.Counts, error) {
	r, err := c.Scrape(ctx, []bittorrent.InfoHash{bittorrent.InfoHash(ih)})
	if err != nil {
		return bittorrent.Counts{}, err
	}
	cnt, ok := r.Files[bittorrent.InfoHash(ih)]
	if !ok {
		return bittorrent.Counts{}, fmt.Errorf("scrape: hash %x missing from the reply", ih)
	}
	return cnt, nil
}

// wsPeer is a WebSocket client that announces without offers, like a
// passive WebTorrent peer. It keeps the tracker's last message as sent,
// for assertions on keys the library does not report.
type wsPeer struct {
	c    *trackerclient.WSClient
	last chan []byte // the latest message from the tracker, raw
}

func dialWS(ctx context.Context, t testing.TB, url string) *wsPeer {
	t.Helper()
	p := &wsPeer{last: make(chan []byte, 1)}
	c, err := trackerclient.NewWS(url, trackerclient.Options{Trace: func(out bool, msg []byte) {
		if out {
			return
		}
		select { // keep only the latest
		case <-p.last:
		default:
		}
		p.last <- append([]byte(nil), msg...)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("websocket dial %s: %v", url, err)
	}
	p.c = c
	t.Cleanup(func() { _ = c.Close() })
	return p
}

// announce sends a passive announce (no offers; numwant 5, as the JS
// client) and returns the tracker's response for it, and the response as
// sent. A passive peer must not get offers.
func (p *wsPeer) announce(ctx context.Context, ih, pid id20, left int64, ev bittorrent.Event) (*trackerclient.AnnounceResponse, []byte, error) {
	req := announceReq(ih, pid, 0, left, ev)
	req.NumWant = 5
	r, err := p.c.Announce(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	select {
	case m := <-p.c.Messages():
		return r, nil, fmt.Errorf("passive peer got a %s message: %+v", m.Kind, m)
	default:
	}
	select {
	case raw := <-p.last:
		return r, raw, nil
	default:
		return r, nil, fmt.Errorf("the response was not traced")
	}
}
