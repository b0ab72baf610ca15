package udptracker

import (
	"context"
	"encoding/binary"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// testClock is an injectable clock that only moves when told to.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Unix(1_700_000_000, 0)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testSecret is a fixed key so failures are reproducible.
var testSecret = []byte("0123456789abcdef0123456789abcdef")

// newTestServer returns a Server on a fresh store, with cfg's zero fields
// defaulted for tests.
func newTestServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = newTestStore(cfg.Now)
	}
	if cfg.Secret == nil {
		cfg.Secret = testSecret
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func ih(b byte) bittorrent.InfoHash {
	var h bittorrent.InfoHash
	for i := range h {
		h[i] = b
	}
	return h
}

func pid(b byte) bittorrent.PeerID {
	var p bittorrent.PeerID
	for i := range p {
		p[i] = b
	}
	return p
}

func connectPacket(tx uint32) []byte {
	b := binary.BigEndian.AppendUint64(nil, protocolID)
	b = binary.BigEndian.AppendUint32(b, actionConnect)
	return binary.BigEndian.AppendUint32(b, tx)
}

// annReq describes an announce request to encode.
type annReq struct {
	cid     uint64
	tx      uint32
	ih      bittorrent.InfoHash
	peerID  bittorrent.PeerID
	left    uint64
	event   uint32
	numWant int32
	port    uint16
	options []byte
}

func announcePacket(a annReq) []byte {
	b := binary.BigEndian.AppendUint64(nil, a.cid)
	b = binary.BigEndian.AppendUint32(b, actionAnnounce)
	b = binary.BigEndian.AppendUint32(b, a.tx)
	b = append(b, a.ih[:]...)
	b = append(b, a.peerID[:]...)
	b = binary.BigEndian.AppendUint64(b, 0) // downloaded
	b = binary.BigEndian.AppendUint64(b, a.left)
	b = binary.BigEndian.AppendUint64(b, 0) // uploaded
	b = binary.BigEndian.AppendUint32(b, a.event)
	b = binary.BigEndian.AppendUint32(b, 0) // ip
	b = binary.BigEndian.AppendUint32(b, 0x12345678)
	b = binary.BigEndian.AppendUint32(b, uint32(a.numWant))
	b = binary.BigEndian.AppendUint16(b, a.port)
	return append(b, a.options...)
}

func scrapePacket(cid uint64, tx uint32, hashes ...bittorrent.InfoHash) []byte {
	b := binary.BigEndian.AppendUint64(nil, cid)
	b = binary.BigEndian.AppendUint32(b, actionScrape)
	b = binary.BigEndian.AppendUint32(b, tx)
	for _, h := range hashes {
		b = append(b, h[:]...)
	}
	return b
}

// connectReply decodes a connect response, failing the test if it is not
// one for tx.
func connectReply(t testing.TB, b []byte, tx uint32) uint64 {
	t.Helper()
	if len(b) != connectReplyLen {
		t.Fatalf("connect reply is %d bytes, want 16: %x", len(b), b)
	}
	if a := binary.BigEndian.Uint32(b); a != actionConnect {
		t.Fatalf("connect reply action %d: %x", a, b)
	}
	if got := binary.BigEndian.Uint32(b[4:]); got != tx {
		t.Fatalf("connect reply tx %#x, want %#x", got, tx)
	}
	return binary.BigEndian.Uint64(b[8:])
}

type annResp struct {
	interval uint32
	leechers uint32
	seeders  uint32
	peers    []netip.AddrPort
}

// announceReply decodes an announce response with entries of family fam.
func announceReply(t testing.TB, b []byte, tx uint32, fam swarm.Family) annResp {
	t.Helper()
	if len(b) >= 8 && binary.BigEndian.Uint32(b) == actionError {
		t.Fatalf("announce got error %q", b[8:])
	}
	if len(b) < announceReplyHdrLen || binary.BigEndian.Uint32(b) != actionAnnounce {
		t.Fatalf("not an announce reply: %x", b)
	}
	if got := binary.BigEndian.Uint32(b[4:]); got != tx {
		t.Fatalf("announce reply tx %#x, want %#x", got, tx)
	}
	r := annResp{
		interval: binary.BigEndian.Uint32(b[8:]),
		leechers: binary.BigEndian.Uint32(b[12:]),
		seeders:  binary.BigEndian.Uint32(b[16:]),
	}
	n := peerEntryLen(fam)
	body := b[announceReplyHdrLen:]
	if len(body)%n != 0 {
		t.Fatalf("peer list of %d bytes is not a multiple of %d", len(body), n)
	}
	for ; len(body) > 0; body = body[n:] {
		var a netip.Addr
		if fam == swarm.IPv4 {
			a = netip.AddrFrom4([4]byte(body[:4]))
		} else {
			a = netip.AddrFrom16([16]byte(body[:16]))
		}
		r.peers = append(r.peers, netip.AddrPortFrom(a, binary.BigEndian.Uint16(body[n-2:])))
	}
	return r
}

// errorReply decodes an error response and returns its message.
func errorReply(t testing.TB, b []byte, tx uint32) string {
	t.Helper()
	if len(b) < errorReplyHdrLen || binary.BigEndian.Uint32(b) != actionError {
		t.Fatalf("not an error reply: %x", b)
	}
	if got := binary.BigEndian.Uint32(b[4:]); got != tx {
		t.Fatalf("error reply tx %#x, want %#x", got, tx)
	}
	return string(b[8:])
}

// scrapeReply decodes a scrape response.
func scrapeReply(t testing.TB, b []byte, tx uint32) []bittorrent.Counts {
	t.Helper()
	if len(b) < scrapeReplyHdrLen || binary.BigEndian.Uint32(b) != actionScrape {
		t.Fatalf("not a scrape reply: %x", b)
	}
	if got := binary.BigEndian.Uint32(b[4:]); got != tx {
		t.Fatalf("scrape reply tx %#x, want %#x", got, tx)
	}
	body := b[scrapeReplyHdrLen:]
	if len(body)%scrapeRecordLen != 0 {
		t.Fatalf("scrape body of %d bytes", len(body))
	}
	var out []bittorrent.Counts
	for ; len(body) > 0; body = body[scrapeRecordLen:] {
		out = append(out, bittorrent.Counts{
			Complete:   int(binary.BigEndian.Uint32(body)),
			Downloaded: int(binary.BigEndian.Uint32(body[4:])),
			Incomplete: int(binary.BigEndian.Uint32(body[8:])),
		})
	}
	return out
}

// handleCopy runs one packet through w and copies the reply out of the
// worker's reused buffer.
func handleCopy(w *worker, pkt []byte, from netip.AddrPort) []byte {
	r := w.handle(context.Background(), pkt, from)
	if r == nil {
		return nil
	}
	return append([]byte(nil), r...)
}

// connectVia performs a connect through w and returns the id.
func connectVia(t testing.TB, w *worker, from netip.AddrPort) uint64 {
	t.Helper()
	return connectReply(t, handleCopy(w, connectPacket(7), from), 7)
}

// peerEntryLen is the size of one compact peer entry for family fam.
func peerEntryLen(fam swarm.Family) int {
	if fam == swarm.IPv4 {
		return peer4Len
	}
	return peer6Len
}
