package native_test

// Raw code for traffic the client library would never send: a BEP 15 UDP
// socket the tests write malformed datagrams on (and then check it still
// works), and a net/http GET with a query written byte by byte. The
// well-behaved peers are in clients_test.go, on trackerclient.

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// id20 is an info hash or peer id.
type id20 [20]byte

func randomID(t testing.TB) id20 {
	t.Helper()
	var id id20
	if _, err := rand.Read(id[:]); err != nil {
		t.Fatal(err)
	}
	return id
}

// awkwardID returns a random id whose bytes include the ones most often
// mangled on the way (0x00, '+', '%', '&', '=', ' ', 0x80, 0xFF), so a
// tracker that decodes ids as text instead of bytes loses the peer.
func awkwardID(t testing.TB) id20 {
	id := randomID(t)
	copy(id[2:], []byte{0x00, '+', '%', '&', '=', ' ', 0x80, 0xFF, '"', '\\'})
	return id
}

const (
	udpProtocolID  = 0x41727101980
	udpActConnect  = 0
	udpActAnnounce = 1
	udpActScrape   = 2
	udpActError    = 3
)

// udpClient is a raw BEP 15 client on its own connected socket.
type udpClient struct {
	conn   *net.UDPConn
	connID uint64
}

func dialUDPTracker(t testing.TB, addr string) *udpClient {
	t.Helper()
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &udpClient{conn: conn}
}

func newTID() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:])
}

// roundTrip sends req (whose transaction id is tid) and returns the first
// reply carrying tid. Loopback UDP does not lose packets in practice, but a
// loaded machine may delay them, so it retransmits a few times like a real
// client.
func (c *udpClient) roundTrip(req []byte, tid uint32) ([]byte, error) {
	buf := make([]byte, 2048)
	for attempt := 0; attempt < 4; attempt++ {
		if _, err := c.conn.Write(req); err != nil {
			return nil, err
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			_ = c.conn.SetReadDeadline(deadline)
			n, err := c.conn.Read(buf)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				break
			}
			if err != nil {
				return nil, err
			}
			if n < 8 || binary.BigEndian.Uint32(buf[4:8]) != tid {
				return nil, fmt.Errorf("unexpected datagram % x (waiting for transaction %08x)", buf[:n], tid)
			}
			resp := append([]byte(nil), buf[:n]...)
			if binary.BigEndian.Uint32(resp[:4]) == udpActError {
				return nil, fmt.Errorf("tracker error: %q", resp[8:])
			}
			return resp, nil
		}
	}
	return nil, fmt.Errorf("no reply to transaction %08x after 4 attempts", tid)
}

func connectPacket(tid uint32) []byte {
	p := make([]byte, 16)
	binary.BigEndian.PutUint64(p[0:], udpProtocolID)
	binary.BigEndian.PutUint32(p[8:], udpActConnect)
	binary.BigEndian.PutUint32(p[12:], tid)
	return p
}

func (c *udpClient) connect() error {
	tid := newTID()
	resp, err := c.roundTrip(connectPacket(tid), tid)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	if len(resp) < 16 || binary.BigEndian.Uint32(resp) != udpActConnect {
		return fmt.Errorf("connect: bad reply % x", resp)
	}
	c.connID = binary.BigEndian.Uint64(resp[8:16])
	if c.connID == udpProtocolID {
		return fmt.Errorf("connect: connection id is the protocol magic (guessable)")
	}
	return nil
}

type udpAnnounce struct {
	infoHash, peerID id20
	left             int64 // -1: unknown (all ones on the wire)
	port             uint16
	numWant          int32
}

func announcePacket(connID uint64, tid uint32, a udpAnnounce) []byte {
	p := make([]byte, 98)
	binary.BigEndian.PutUint64(p[0:], connID)
	binary.BigEndian.PutUint32(p[8:], udpActAnnounce)
	binary.BigEndian.PutUint32(p[12:], tid)
	copy(p[16:36], a.infoHash[:])
	copy(p[36:56], a.peerID[:])
	binary.BigEndian.PutUint64(p[56:], 0) // downloaded
	binary.BigEndian.PutUint64(p[64:], uint64(a.left))
	binary.BigEndian.PutUint64(p[72:], 0) // uploaded
	binary.BigEndian.PutUint32(p[80:], 0) // event: none
	binary.BigEndian.PutUint32(p[84:], 0) // ip: use the source address
	binary.BigEndian.PutUint32(p[88:], 0xdeadbeef)
	binary.BigEndian.PutUint32(p[92:], uint32(a.numWant))
	binary.BigEndian.PutUint16(p[96:], a.port)
	return p
}

func scrapePacket(connID uint64, tid uint32, hashes ...id20) []byte {
	p := make([]byte, 16, 16+20*len(hashes))
	binary.BigEndian.PutUint64(p[0:], connID)
	binary.BigEndian.PutUint32(p[8:], udpActScrape)
	binary.BigEndian.PutUint32(p[12:], tid)
	for _, h := range hashes {
		p = append(p, h[:]...)
	}
	return p
}

func (c *udpClient) scrape(hashes ...id20) ([]bittorrent.Counts, error) {
	if c.connID == 0 {
		if err := c.connect(); err != nil {
			return nil, err
		}
	}
	tid := newTID()
	resp, err := c.roundTrip(scrapePacket(c.connID, tid, hashes...), tid)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	if binary.BigEndian.Uint32(resp) != udpActScrape || len(resp) != 8+12*len(hashes) {
		return nil, fmt.Errorf("scrape: bad reply % x for %d hashes", resp, len(hashes))
	}
	out := make([]bittorrent.Counts, len(hashes))
	for i := range out {
		rec := resp[8+12*i:]
		out[i] = bittorrent.Counts{
			Complete:   int(binary.BigEndian.Uint32(rec[0:])),
			Downloaded: int(binary.BigEndian.Uint32(rec[4:])),
			Incomplete: int(binary.BigEndian.Uint32(rec[8:])),
		}
	}
	return out, nil
}

// pctEncode percent-encodes every byte that is not unreserved, the way
// libtorrent does, so the value decodes to exactly b.
func pctEncode(b []byte) string {
	const hex = "0123456789ABCDEF"
	var sb strings.Builder
	for _, c := range b {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			sb.WriteByte(c)
			continue
		}
		sb.WriteByte('%')
		sb.WriteByte(hex[c>>4])
		sb.WriteByte(hex[c&15])
	}
	return sb.String()
}

// httpGet fetches base+path+"?"+rawQuery with a fresh connection and
// returns the status and body.
func httpGet(ctx context.Context, base, path, rawQuery string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	req.URL.RawQuery = rawQuery // bypass net/url re-encoding
	req.Close = true
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, err
}
