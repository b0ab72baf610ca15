package udptracker

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/internal/swarm"
)

// unhex decodes hex written with spaces and newlines between fields.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// Example packets in BEP 15's layouts (exURLData: one BEP 41 URLData option
// carrying /announce?passkey=abc).
const (
	exConnectReq   = "00 00 04 17 27 10 19 80 00 00 00 00 1a 2b 3c 4d"
	exConnectReply = "00 00 00 00 1a 2b 3c 4d 65 f1 a2 b3 c0 ff ee 11"
	exAnnounceReq  = `
65 f1 a2 b3 c0 ff ee 11  00 00 00 01  0b ad f0 0d
a9 4a 8f e5 cc b1 9b a6 1c 4c 08 73 d3 91 e9 87 98 2f bb d3
2d 71 42 34 36 35 30 2d 61 62 63 64 65 66 67 68 69 6a 6b 6c
00 00 00 00 00 00 00 00  00 00 00 00 00 10 00 00  00 00 00 00 00 00 00 00
00 00 00 02  00 00 00 00  de ad be ef  ff ff ff ff  1a e1`
	exAnnounceReply = "00 00 00 01 0b ad f0 0d 00 00 02 58 00 00 00 03 00 00 00 05 c0 00 02 0a 1a e1 c6 33 64 07 c8 d5"
	exScrapeReply   = "00 00 00 02 11 22 33 44 00 00 00 05 00 00 00 78 00 00 00 03"
	exErrorHdr      = "00 00 00 03 0b ad f0 0d"
	exURLData       = "02 15 2f 61 6e 6e 6f 75 6e 63 65 3f 70 61 73 73 6b 65 79 3d 61 62 63"
)

func TestConnectExample(t *testing.T) {
	req := unhex(t, exConnectReq)
	h, err := parseHeader(req)
	if err != nil {
		t.Fatal(err)
	}
	if h != (header{connID: protocolID, action: actionConnect, txID: 0x1a2b3c4d}) {
		t.Fatalf("header %+v", h)
	}
	if err := checkConnect(req, h); err != nil {
		t.Fatalf("checkConnect: %v", err)
	}
	got := appendConnectReply(nil, h.txID, 0x65f1a2b3c0ffee11)
	if want := unhex(t, exConnectReply); !bytes.Equal(got, want) {
		t.Fatalf("reply %x, want %x", got, want)
	}
}

func TestCheckConnect(t *testing.T) {
	req := unhex(t, exConnectReq)
	long := append(append([]byte(nil), req...), 1, 2, 3)
	h, _ := parseHeader(long)
	if err := checkConnect(long, h); err != nil {
		t.Errorf("trailing bytes rejected: %v", err)
	}
	bad := append([]byte(nil), req...)
	bad[7] = 0x81
	h, _ = parseHeader(bad)
	if err := checkConnect(bad, h); !errors.Is(err, errNotConnect) {
		t.Errorf("wrong magic: %v", err)
	}
}

func TestParseHeaderShort(t *testing.T) {
	req := unhex(t, exConnectReq)
	for n := range headerLen {
		if _, err := parseHeader(req[:n]); !errors.Is(err, errShort) {
			t.Errorf("len %d: err %v, want errShort", n, err)
		}
	}
}

func TestAnnounceExample(t *testing.T) {
	req := unhex(t, exAnnounceReq)
	if len(req) != announceMinLen {
		t.Fatalf("example is %d bytes", len(req))
	}
	h, err := parseHeader(req)
	if err != nil {
		t.Fatal(err)
	}
	if h != (header{connID: 0x65f1a2b3c0ffee11, action: actionAnnounce, txID: 0x0badf00d}) {
		t.Fatalf("header %+v", h)
	}
	var a announce
	if err := parseAnnounce(req, &a); err != nil {
		t.Fatal(err)
	}
	wantIH := unhex(t, "a9 4a 8f e5 cc b1 9b a6 1c 4c 08 73 d3 91 e9 87 98 2f bb d3")
	if !bytes.Equal(a.infoHash[:], wantIH) {
		t.Errorf("info_hash %x", a.infoHash)
	}
	if string(a.peerID[:]) != "-qB4650-abcdefghijkl" {
		t.Errorf("peer_id %q", a.peerID[:])
	}
	if a.downloaded != 0 || a.left != 1<<20 || a.uploaded != 0 {
		t.Errorf("downloaded %d left %d uploaded %d", a.downloaded, a.left, a.uploaded)
	}
	if a.event != 2 || a.ip != 0 || a.key != 0xdeadbeef || a.numWant != -1 || a.port != 6881 {
		t.Errorf("event %d ip %d key %#x num_want %d port %d", a.event, a.ip, a.key, a.numWant, a.port)
	}
	if len(a.options) != 0 {
		t.Errorf("options %x", a.options)
	}
}

func TestParseAnnounceTruncated(t *testing.T) {
	req := unhex(t, exAnnounceReq)
	for n := range announceMinLen {
		var a announce
		if err := parseAnnounce(req[:n], &a); !errors.Is(err, errShort) {
			t.Errorf("len %d: err %v, want errShort", n, err)
		}
	}
}

func TestParseAnnounceOptions(t *testing.T) {
	req := append(unhex(t, exAnnounceReq), unhex(t, exURLData)...)
	var a announce
	if err := parseAnnounce(req, &a); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.options, unhex(t, exURLData)) {
		t.Fatalf("options %x", a.options)
	}
}

func TestAnnounceReplyExample(t *testing.T) {
	peers := []swarm.Peer{
		{Kind: swarm.Native, Addr: netip.MustParseAddrPort("192.0.2.10:6881")},
		{Kind: swarm.Native, Addr: netip.MustParseAddrPort("198.51.100.7:51413")},
	}
	got := appendAnnounceReply(nil, 0x0badf00d, 600, bittorrent.Counts{Incomplete: 3, Complete: 5})
	got = appendPeers(got, peers, swarm.IPv4, 50)
	if want := unhex(t, exAnnounceReply); !bytes.Equal(got, want) {
		t.Fatalf("reply\n %x\nwant\n %x", got, want)
	}
}

func TestAppendPeersIPv6(t *testing.T) {
	peers := []swarm.Peer{
		{Kind: swarm.Native, Addr: netip.MustParseAddrPort("[2001:db8::1]:6881")},
		{Kind: swarm.Native, Addr: netip.MustParseAddrPort("192.0.2.10:6881")},
		{Kind: swarm.WebRTC, Owner: 1},
		{Kind: swarm.Native, Addr: netip.MustParseAddrPort("[::ffff:192.0.2.11]:1")},
		{Kind: swarm.Native, Addr: netip.MustParseAddrPort("[2001:db8::2]:51413")},
	}
	got := appendPeers(nil, peers, swarm.IPv6, 50)
	want := unhex(t, "20010db8000000000000000000000001 1ae1 20010db8000000000000000000000002 c8d5")
	if !bytes.Equal(got, want) {
		t.Fatalf("v6 peers %x, want %x", got, want)
	}
	got = appendPeers(nil, peers, swarm.IPv4, 50)
	if want := unhex(t, "c000020a 1ae1"); !bytes.Equal(got, want) {
		t.Fatalf("v4 peers %x, want %x (mapped and WebRTC entries must be skipped)", got, want)
	}
}

func TestAppendPeersMax(t *testing.T) {
	var peers []swarm.Peer
	for i := range 300 {
		peers = append(peers, swarm.Peer{Kind: swarm.Native, Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 1)})
	}
	if got := appendPeers(nil, peers, swarm.IPv4, maxPeers4); len(got) != maxPeers4*peer4Len {
		t.Fatalf("%d bytes", len(got))
	}
	if maxPeers4 != 202 || maxPeers6 != 67 {
		t.Fatalf("limits %d/%d, want 202/67", maxPeers4, maxPeers6)
	}
	if announceReplyHdrLen+maxPeers4*peer4Len > maxDatagram || announceReplyHdrLen+maxPeers6*peer6Len > maxDatagram {
		t.Fatal("limits exceed 1232 bytes")
	}
}

func TestScrapeReplyExample(t *testing.T) {
	got := appendScrapeHeader(nil, 0x11223344)
	got = appendScrapeRecord(got, bittorrent.Counts{Complete: 5, Downloaded: 0x78, Incomplete: 3})
	if want := unhex(t, exScrapeReply); !bytes.Equal(got, want) {
		t.Fatalf("reply %x, want %x", got, want)
	}
}

func TestErrorExample(t *testing.T) {
	got := appendError(nil, 0x0badf00d, "info_hash not allowed")
	want := append(unhex(t, exErrorHdr), "info_hash not allowed"...)
	if !bytes.Equal(got, want) {
		t.Fatalf("reply %x, want %x", got, want)
	}
	long := appendError(nil, 1, strings.Repeat("x", 5000))
	if len(long) != maxDatagram {
		t.Fatalf("long error is %d bytes, want %d", len(long), maxDatagram)
	}
}

func TestParseScrape(t *testing.T) {
	hashes := []bittorrent.InfoHash{ih(1), ih(2), ih(1), ih(3)}
	got, err := parseScrape(scrapePacket(9, 9, hashes...), 74, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0] != ih(1) || got[1] != ih(2) || got[2] != ih(1) || got[3] != ih(3) {
		t.Fatalf("hashes %v", got)
	}

	var many []bittorrent.InfoHash
	for i := range 75 {
		many = append(many, ih(byte(i)))
	}
	if got, err := parseScrape(scrapePacket(9, 9, many[:74]...), 74, nil); err != nil || len(got) != 74 {
		t.Errorf("74 hashes: %d, %v", len(got), err)
	}
	if _, err := parseScrape(scrapePacket(9, 9, many...), 74, nil); !errors.Is(err, errTooManyHashes) {
		t.Errorf("75 hashes: %v", err)
	}
	if _, err := parseScrape(scrapePacket(9, 9), 74, nil); !errors.Is(err, errNoHashes) {
		t.Errorf("0 hashes: %v", err)
	}
	one := scrapePacket(9, 9, ih(1))
	for _, n := range []int{17, 35, 37, 55} {
		b := append(append([]byte(nil), one...), make([]byte, 40)...)[:n]
		if _, err := parseScrape(b, 74, nil); !errors.Is(err, errScrapeLength) {
			t.Errorf("len %d: %v, want errScrapeLength", n, err)
		}
	}
	for n := range headerLen {
		if _, err := parseScrape(one[:n], 74, nil); !errors.Is(err, errShort) {
			t.Errorf("len %d: %v, want errShort", n, err)
		}
	}
}

func TestClampU32(t *testing.T) {
	for _, c := range []struct {
		in   int
		want uint32
	}{{-1, 0}, {0, 0}, {7, 7}, {1 << 32, 1<<32 - 1}} {
		if got := clampU32(c.in); got != c.want {
			t.Errorf("clampU32(%d) = %d", c.in, got)
		}
	}
}

func TestLeft(t *testing.T) {
	for _, c := range []struct {
		in   uint64
		want int64
	}{{0, 0}, {1 << 20, 1 << 20}, {^uint64(0), bittorrent.LeftUnknown}, {1 << 63, bittorrent.LeftUnknown}} {
		if got := left(c.in); got != c.want {
			t.Errorf("left(%#x) = %d, want %d", c.in, got, c.want)
		}
	}
}
