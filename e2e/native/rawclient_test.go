package native_test

// Hand-written peers for the three transports, built from the wire formats
// (docs/protocol.md §3-§5 for WebSocket messages; BEP 3, 7, 15, 23 and 48
// with the choices of docs/protocol.md §10 for HTTP and UDP) and not from
// any tracker code: a raw BEP 15 UDP client, a plain net/http
// announce/scrape client with byte-exact percent-encoding, and a
// WebTorrent-style WebSocket client.

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/swarmbridge/swarmbridge/internal/testkit/bencodetest"
	"github.com/swarmbridge/swarmbridge/internal/testkit/binstrtest"
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

	eventNone      = 0
	eventCompleted = 1
	eventStarted   = 2
	eventStopped   = 3
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
	event            uint32
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
	binary.BigEndian.PutUint32(p[80:], a.event)
	binary.BigEndian.PutUint32(p[84:], 0) // ip: use the source address
	binary.BigEndian.PutUint32(p[88:], 0xdeadbeef)
	binary.BigEndian.PutUint32(p[92:], uint32(a.numWant))
	binary.BigEndian.PutUint16(p[96:], a.port)
	return p
}

// announceReply is a tracker's answer, transport independent.
type announceReply struct {
	interval             int64
	complete, incomplete int64
	peers                []netip.AddrPort
}

func (c *udpClient) announce(a udpAnnounce) (announceReply, error) {
	if c.connID == 0 {
		if err := c.connect(); err != nil {
			return announceReply{}, err
		}
	}
	tid := newTID()
	resp, err := c.roundTrip(announcePacket(c.connID, tid, a), tid)
	if err != nil {
		return announceReply{}, fmt.Errorf("announce: %w", err)
	}
	if len(resp) < 20 || binary.BigEndian.Uint32(resp) != udpActAnnounce {
		return announceReply{}, fmt.Errorf("announce: bad reply % x", resp)
	}
	r := announceReply{
		interval:   int64(binary.BigEndian.Uint32(resp[8:])),
		incomplete: int64(binary.BigEndian.Uint32(resp[12:])), // leechers come first
		complete:   int64(binary.BigEndian.Uint32(resp[16:])),
	}
	stride := 6
	if c.conn.RemoteAddr().(*net.UDPAddr).IP.To4() == nil {
		stride = 18
	}
	body := resp[20:]
	if len(body)%stride != 0 {
		return r, fmt.Errorf("announce: peer list of %d bytes is not a multiple of %d", len(body), stride)
	}
	for ; len(body) > 0; body = body[stride:] {
		ip, _ := netip.AddrFromSlice(body[:stride-2])
		r.peers = append(r.peers, netip.AddrPortFrom(ip, binary.BigEndian.Uint16(body[stride-2:])))
	}
	return r, nil
}

type scrapeCounts struct{ complete, downloaded, incomplete int64 }

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

func (c *udpClient) scrape(hashes ...id20) ([]scrapeCounts, error) {
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
	out := make([]scrapeCounts, len(hashes))
	for i := range out {
		rec := resp[8+12*i:]
		out[i] = scrapeCounts{
			complete:   int64(binary.BigEndian.Uint32(rec[0:])),
			downloaded: int64(binary.BigEndian.Uint32(rec[4:])),
			incomplete: int64(binary.BigEndian.Uint32(rec[8:])),
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

// httpAnnounceQuery builds an announce query with compact=1.
func httpAnnounceQuery(ih, pid id20, port uint16, left int64, event string) string {
	q := "info_hash=" + pctEncode(ih[:]) + "&peer_id=" + pctEncode(pid[:]) +
		"&port=" + strconv.Itoa(int(port)) + "&uploaded=0&downloaded=0&left=" + strconv.FormatInt(left, 10) +
		"&compact=1"
	if event != "" {
		q += "&event=" + event
	}
	return q
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

// httpAnnounce sends a compact announce and decodes the answer.
func httpAnnounce(ctx context.Context, base, rawQuery string) (announceReply, error) {
	status, body, err := httpGet(ctx, base, "/announce", rawQuery)
	if err != nil {
		return announceReply{}, err
	}
	if status != http.StatusOK {
		return announceReply{}, fmt.Errorf("status %d: %q", status, body)
	}
	m, err := bencodetest.Dict(body)
	if err != nil {
		return announceReply{}, fmt.Errorf("%w in %q", err, body)
	}
	if fr, ok := m["failure reason"]; ok {
		return announceReply{}, fmt.Errorf("failure reason %q", fr)
	}
	var r announceReply
	if r.interval, err = bencodetest.Int(m, "interval"); err != nil {
		return r, err
	}
	if r.complete, err = bencodetest.Int(m, "complete"); err != nil {
		return r, err
	}
	if r.incomplete, err = bencodetest.Int(m, "incomplete"); err != nil {
		return r, err
	}
	peers, err := bencodetest.Str(m, "peers")
	if err != nil {
		return r, fmt.Errorf("compact announce: %w", err)
	}
	if len(peers)%6 != 0 {
		return r, fmt.Errorf("peers is %d bytes, not a multiple of 6", len(peers))
	}
	for p := []byte(peers); len(p) > 0; p = p[6:] {
		r.peers = append(r.peers, netip.AddrPortFrom(netip.AddrFrom4([4]byte(p[:4])), binary.BigEndian.Uint16(p[4:6])))
	}
	if v, ok := m["peers6"]; ok {
		p6, ok := v.(string)
		if !ok || len(p6)%18 != 0 {
			return r, fmt.Errorf("peers6 is %T of length %d", v, len(p6))
		}
		for p := []byte(p6); len(p) > 0; p = p[18:] {
			r.peers = append(r.peers, netip.AddrPortFrom(netip.AddrFrom16([16]byte(p[:16])), binary.BigEndian.Uint16(p[16:18])))
		}
	}
	return r, nil
}

// httpScrape scrapes the given hashes and returns their counts in order.
func httpScrape(ctx context.Context, base string, hashes ...id20) ([]scrapeCounts, error) {
	var q []string
	for _, h := range hashes {
		q = append(q, "info_hash="+pctEncode(h[:]))
	}
	status, body, err := httpGet(ctx, base, "/scrape", strings.Join(q, "&"))
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("scrape status %d: %q", status, body)
	}
	m, err := bencodetest.Dict(body)
	if err != nil {
		return nil, fmt.Errorf("%w in %q", err, body)
	}
	files, ok := m["files"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("scrape: no files dictionary in %q", body)
	}
	out := make([]scrapeCounts, len(hashes))
	for i, h := range hashes {
		f, ok := files[string(h[:])].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("scrape: hash %x missing from %q", h, body)
		}
		var c scrapeCounts
		if c.complete, err = bencodetest.Int(f, "complete"); err != nil {
			return nil, err
		}
		if c.incomplete, err = bencodetest.Int(f, "incomplete"); err != nil {
			return nil, err
		}
		if c.downloaded, err = bencodetest.Int(f, "downloaded"); err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

func binaryString(id id20) string { return binstrtest.BinaryString(id) }

func parseBinaryString(s string) (id20, error) { return binstrtest.Parse[id20](s) }

// wsPeer is a WebSocket signaling client that announces without offers,
// like a passive WebTorrent peer.
type wsPeer struct {
	conn *websocket.Conn
	msgs chan map[string]json.RawMessage
	errc chan error
}

func dialWS(ctx context.Context, t testing.TB, url string) *wsPeer {
	t.Helper()
	conn, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("websocket dial %s: %v", url, err)
	}
	p := &wsPeer{conn: conn, msgs: make(chan map[string]json.RawMessage, 64), errc: make(chan error, 1)}
	done, stop := make(chan struct{}), make(chan struct{})
	// The reader keeps answering pings and hands every message over.
	go func() {
		defer close(done)
		for {
			_, data, err := conn.Read(context.Background())
			if err != nil {
				p.errc <- err
				return
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(data, &m); err != nil {
				p.errc <- fmt.Errorf("tracker sent invalid JSON %q: %w", data, err)
				return
			}
			select {
			case p.msgs <- m:
			case <-stop:
				return
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		_ = conn.Close(websocket.StatusNormalClosure, "")
		<-done
	})
	return p
}

func (p *wsPeer) send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return p.conn.Write(ctx, websocket.MessageText, b)
}

func (p *wsPeer) recv(ctx context.Context) (map[string]json.RawMessage, error) {
	select {
	case m := <-p.msgs:
		return m, nil
	case err := <-p.errc:
		return nil, err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for a WebSocket message: %w", ctx.Err())
	}
}

func jsonString(m map[string]json.RawMessage, key string) (string, error) {
	raw, ok := m[key]
	if !ok {
		return "", fmt.Errorf("key %q missing", key)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("key %q: %w", key, err)
	}
	return s, nil
}

func jsonInt(m map[string]json.RawMessage, key string) (int64, error) {
	raw, ok := m[key]
	if !ok {
		return 0, fmt.Errorf("key %q missing", key)
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, fmt.Errorf("key %q: %w", key, err)
	}
	return n, nil
}

// wsAnnounce sends a passive announce (no offers) and returns the
// tracker's announce response for it.
func (p *wsPeer) announce(ctx context.Context, ih, pid id20, left int64, event string) (map[string]json.RawMessage, error) {
	msg := map[string]any{
		"action":     "announce",
		"info_hash":  binaryString(ih),
		"peer_id":    binaryString(pid),
		"numwant":    5,
		"uploaded":   0,
		"downloaded": 0,
		"left":       left,
		"offers":     []any{},
	}
	if event != "" {
		msg["event"] = event
	}
	if err := p.send(ctx, msg); err != nil {
		return nil, err
	}
	for {
		m, err := p.recv(ctx)
		if err != nil {
			return nil, err
		}
		if a, _ := jsonString(m, "action"); a != "announce" {
			return m, fmt.Errorf("unexpected message %v", m)
		}
		if _, isOffer := m["offer"]; isOffer {
			return m, fmt.Errorf("passive peer got an offer: %v", m)
		}
		return m, nil
	}
}

func (p *wsPeer) scrape(ctx context.Context, ih id20) (scrapeCounts, error) {
	if err := p.send(ctx, map[string]any{"action": "scrape", "info_hash": binaryString(ih)}); err != nil {
		return scrapeCounts{}, err
	}
	m, err := p.recv(ctx)
	if err != nil {
		return scrapeCounts{}, err
	}
	if a, _ := jsonString(m, "action"); a != "scrape" {
		return scrapeCounts{}, fmt.Errorf("scrape answered with %v", m)
	}
	var files map[string]map[string]int64
	if err := json.Unmarshal(m["files"], &files); err != nil {
		return scrapeCounts{}, fmt.Errorf("scrape files: %w in %s", err, m["files"])
	}
	for k, v := range files {
		id, err := parseBinaryString(k)
		if err != nil {
			return scrapeCounts{}, err
		}
		if id == ih {
			return scrapeCounts{complete: v["complete"], downloaded: v["downloaded"], incomplete: v["incomplete"]}, nil
		}
	}
	return scrapeCounts{}, fmt.Errorf("scrape: hash %x missing from %s", ih, m["files"])
}
