package server_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/swarmbridge/swarmbridge/internal/config"
	"github.com/swarmbridge/swarmbridge/internal/server"
	"github.com/swarmbridge/swarmbridge/internal/testkit/servertest"
)

// Helpers for trying limits and access rules from the outside: the whole
// tracker (internal/server) on 127.0.0.1:0, HTTP and WebSocket through
// httptest, UDP on a real socket, and real clients for each.

type harness struct {
	t   *testing.T
	srv *server.Server
	ts  *httptest.Server
	udp *net.UDPAddr
}

// startTracker serves the tracker configured by env and mod (see
// servertest.Start).
func startTracker(t *testing.T, env []string, mod func(*config.Config)) *harness {
	t.Helper()
	tr := servertest.Start(t, env, mod)
	return &harness{t: t, srv: tr.Server, ts: tr.HTTP, udp: tr.UDP}
}

func (h *harness) wsURL(path string) string {
	return "ws" + strings.TrimPrefix(h.ts.URL, "http") + path
}

// metric returns the value of one sample of /metrics, e.g.
// metric(`swarmbridge_limited_total{limit="conns",transport="ws"}`), or -1
// when it is missing.
func (h *harness) metric(sample string) float64 {
	h.t.Helper()
	_, body := get(h.t, h.ts.URL+"/metrics")
	for line := range strings.SplitSeq(body, "\n") {
		if rest, ok := strings.CutPrefix(line, sample+" "); ok {
			var v float64
			if err := json.Unmarshal([]byte(rest), &v); err != nil {
				h.t.Fatalf("metric %s: %q", sample, rest)
			}
			return v
		}
	}
	return -1
}

func (h *harness) wantMetric(sample string, want float64) {
	h.t.Helper()
	if got := h.metric(sample); got != want {
		h.t.Errorf("%s = %v, want %v", sample, got, want)
	}
}

// waitMetric waits until a sample reaches want (the tracker may count a
// moment after the client sees the effect).
func (h *harness) waitMetric(sample string, want float64) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := h.metric(sample)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s = %v, want %v", sample, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func writeList(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func rewrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func hash20(b byte) []byte {
	h := make([]byte, 20)
	for i := range h {
		h[i] = b
	}
	return h
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// bin is a WebTorrent binary string: one code point per byte.
func bin(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// WebSocket client.

type wsClient struct {
	t  *testing.T
	ws *websocket.Conn
}

func dialWS(t *testing.T, u string, hdr http.Header) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	return &wsClient{t: t, ws: ws}
}

// refuseWS expects the upgrade to be refused with status and returns the
// plain-text reason.
func refuseWS(t *testing.T, u string, hdr http.Header, status int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: hdr})
	if err == nil {
		_ = ws.CloseNow()
		t.Fatalf("upgrade to %s accepted, want %d", u, status)
	}
	if resp == nil || resp.StatusCode != status {
		t.Fatalf("upgrade to %s: %v %v, want %d", u, resp, err, status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("refusal has Content-Type %q", ct)
	}
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *wsClient) next() map[string]any {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, b, err := c.ws.Read(ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		c.t.Fatalf("bad JSON %q", b)
	}
	return m
}

// closed reads until the tracker closes the connection and returns the
// close error.
func (c *wsClient) closed() error {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		if _, _, err := c.ws.Read(ctx); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				c.t.Fatal("connection not closed within 20s")
			}
			return err
		}
	}
}

func wsAnnounce(ih, peer []byte, offers ...string) map[string]any {
	m := map[string]any{
		"action": "announce", "event": "started", "left": 0, "numwant": len(offers),
		"info_hash": bin(ih), "peer_id": bin(peer), "uploaded": 0, "downloaded": 0,
	}
	if len(offers) > 0 {
		var os []any
		for _, id := range offers {
			os = append(os, map[string]any{"offer_id": id, "offer": map[string]any{"type": "offer", "sdp": "v=0"}})
		}
		m["offers"] = os
	}
	return m
}

func (c *wsClient) announceOK(ih, peer []byte) map[string]any {
	c.t.Helper()
	c.send(wsAnnounce(ih, peer))
	m := c.next()
	if m["failure reason"] != nil || m["info_hash"] != bin(ih) || m["interval"] == nil {
		c.t.Fatalf("announce of %x: %v", ih, m)
	}
	return m
}

// expectFailure reads the next message and checks it is a failure with
// reason and, when ih is set, that info_hash.
func (c *wsClient) expectFailure(action string, ih []byte, reason string) {
	c.t.Helper()
	m := c.next()
	if m["failure reason"] != reason || m["action"] != action {
		c.t.Fatalf("want %s failure %q, got %v", action, reason, m)
	}
	if ih != nil && m["info_hash"] != bin(ih) {
		c.t.Fatalf("failure without info_hash %x: %v", ih, m)
	}
}

// scrape returns complete and incomplete of ih.
func (c *wsClient) scrape(ih []byte) (complete, incomplete float64) {
	c.t.Helper()
	c.send(map[string]any{"action": "scrape", "info_hash": bin(ih)})
	m := c.next()
	f, ok := m["files"].(map[string]any)[bin(ih)].(map[string]any)
	if !ok {
		c.t.Fatalf("scrape: %v", m)
	}
	return f["complete"].(float64), f["incomplete"].(float64)
}

// HTTP client.

func httpAnnounce(t *testing.T, base, path string, ih, peer []byte, port string, hdr http.Header) map[string]any {
	t.Helper()
	q := "info_hash=" + url.QueryEscape(string(ih)) + "&peer_id=" + url.QueryEscape(string(peer)) + "&port=" + port + "&left=0"
	return httpGetBencode(t, base+path+"?"+q, hdr)
}

func httpScrape(t *testing.T, base, path string, ih []byte) map[string]any {
	t.Helper()
	return httpGetBencode(t, base+path+"?info_hash="+url.QueryEscape(string(ih)), nil)
}

func httpGetBencode(t *testing.T, u string, hdr http.Header) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d (%q); tracker failures must come with 200", u, resp.StatusCode, b)
	}
	v, rest, err := bdecode(b)
	if err != nil || len(rest) != 0 {
		t.Fatalf("GET %s: bad bencode %q: %v", u, b, err)
	}
	d, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("GET %s: not a dict: %q", u, b)
	}
	return d
}

// scrapeCounts returns complete and incomplete of ih from a scrape reply.
func scrapeCounts(t *testing.T, d map[string]any, ih []byte) (int64, int64) {
	t.Helper()
	files, _ := d["files"].(map[string]any)
	f, ok := files[string(ih)].(map[string]any)
	if !ok {
		t.Fatalf("scrape reply lacks %x: %v", ih, d)
	}
	return f["complete"].(int64), f["incomplete"].(int64)
}

// bdecode decodes one bencoded value (enough for tracker replies).
func bdecode(b []byte) (any, []byte, error) {
	bad := errors.New("bad bencode")
	if len(b) == 0 {
		return nil, nil, bad
	}
	switch {
	case b[0] == 'i':
		end := strings.IndexByte(string(b), 'e')
		if end < 0 {
			return nil, nil, bad
		}
		var n int64
		if err := json.Unmarshal(b[1:end], &n); err != nil {
			return nil, nil, bad
		}
		return n, b[end+1:], nil
	case b[0] == 'l':
		var l []any
		b = b[1:]
		for len(b) > 0 && b[0] != 'e' {
			v, rest, err := bdecode(b)
			if err != nil {
				return nil, nil, err
			}
			l = append(l, v)
			b = rest
		}
		if len(b) == 0 {
			return nil, nil, bad
		}
		return l, b[1:], nil
	case b[0] == 'd':
		d := map[string]any{}
		b = b[1:]
		for len(b) > 0 && b[0] != 'e' {
			k, rest, err := bdecode(b)
			if err != nil {
				return nil, nil, err
			}
			ks, ok := k.(string)
			if !ok {
				return nil, nil, bad
			}
			v, rest, err := bdecode(rest)
			if err != nil {
				return nil, nil, err
			}
			d[ks] = v
			b = rest
		}
		if len(b) == 0 {
			return nil, nil, bad
		}
		return d, b[1:], nil
	case b[0] >= '0' && b[0] <= '9':
		colon := strings.IndexByte(string(b), ':')
		if colon < 0 {
			return nil, nil, bad
		}
		var n int
		if err := json.Unmarshal(b[:colon], &n); err != nil || colon+1+n > len(b) {
			return nil, nil, bad
		}
		return string(b[colon+1 : colon+1+n]), b[colon+1+n:], nil
	}
	return nil, nil, bad
}

// UDP client.

type udpClient struct {
	t *testing.T
	c *net.UDPConn
}

func dialUDP(t *testing.T, addr *net.UDPAddr) *udpClient {
	t.Helper()
	c, err := net.DialUDP("udp", nil, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &udpClient{t: t, c: c}
}

// roundTrip sends pkt and returns the reply.
func (u *udpClient) roundTrip(pkt []byte) []byte {
	u.t.Helper()
	if _, err := u.c.Write(pkt); err != nil {
		u.t.Fatal(err)
	}
	_ = u.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 2048)
	n, err := u.c.Read(buf)
	if err != nil {
		u.t.Fatalf("no UDP reply: %v", err)
	}
	return buf[:n]
}

// send sends pkt without waiting for a reply.
func (u *udpClient) send(pkt []byte) {
	u.t.Helper()
	if _, err := u.c.Write(pkt); err != nil {
		u.t.Fatal(err)
	}
}

// noReply checks that nothing arrived on the socket (used after the
// tracker has been seen to drop a packet).
func (u *udpClient) noReply() {
	u.t.Helper()
	_ = u.c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 2048)
	if n, err := u.c.Read(buf); err == nil {
		u.t.Fatalf("unexpected UDP reply %x", buf[:n])
	}
}

func udpConnectPacket(tx uint32) []byte {
	b := binary.BigEndian.AppendUint64(nil, 0x41727101980)
	b = binary.BigEndian.AppendUint32(b, 0)
	return binary.BigEndian.AppendUint32(b, tx)
}

func (u *udpClient) connect() []byte {
	u.t.Helper()
	r := u.roundTrip(udpConnectPacket(1))
	if len(r) != 16 || binary.BigEndian.Uint32(r) != 0 {
		u.t.Fatalf("connect reply %x", r)
	}
	return append([]byte(nil), r[8:16]...)
}

func udpAnnouncePacket(cid, ih, peer []byte, port uint16, urlData string) []byte {
	b := append([]byte(nil), cid...)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint32(b, 2)
	b = append(b, ih...)
	b = append(b, peer...)
	b = binary.BigEndian.AppendUint64(b, 0)
	b = binary.BigEndian.AppendUint64(b, 0) // left 0: a seeder
	b = binary.BigEndian.AppendUint64(b, 0)
	b = binary.BigEndian.AppendUint32(b, 2) // started
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, 0xffffffff)
	b = binary.BigEndian.AppendUint16(b, port)
	if urlData != "" {
		b = append(b, 2, byte(len(urlData)))
		b = append(b, urlData...)
	}
	return b
}

// announce returns ("", seeders) for an announce reply or (message, 0)
// for an error reply.
func (u *udpClient) announce(cid, ih, peer []byte, port uint16, urlData string) (string, uint32) {
	u.t.Helper()
	r := u.roundTrip(udpAnnouncePacket(cid, ih, peer, port, urlData))
	switch {
	case len(r) >= 20 && binary.BigEndian.Uint32(r) == 1:
		return "", binary.BigEndian.Uint32(r[16:])
	case len(r) >= 8 && binary.BigEndian.Uint32(r) == 3:
		return string(r[8:]), 0
	}
	u.t.Fatalf("announce reply %x", r)
	return "", 0
}

func udpScrapePacket(cid []byte, hashes ...[]byte) []byte {
	b := append([]byte(nil), cid...)
	b = binary.BigEndian.AppendUint32(b, 2)
	b = binary.BigEndian.AppendUint32(b, 3)
	for _, h := range hashes {
		b = append(b, h...)
	}
	return b
}

// scrape returns the seeders of each hash.
func (u *udpClient) scrape(cid []byte, hashes ...[]byte) []uint32 {
	u.t.Helper()
	r := u.roundTrip(udpScrapePacket(cid, hashes...))
	if len(r) != 8+12*len(hashes) || binary.BigEndian.Uint32(r) != 2 {
		u.t.Fatalf("scrape reply %x", r)
	}
	var seeders []uint32
	for i := range hashes {
		seeders = append(seeders, binary.BigEndian.Uint32(r[8+12*i:]))
	}
	return seeders
}
