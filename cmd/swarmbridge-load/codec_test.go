package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

func TestPercentEncodeIsByteExact(t *testing.T) {
	var all [256]byte
	for i := range all {
		all[i] = byte(i)
	}
	enc := percentEncode(nil, all[:])
	if bytes.ContainsAny(enc, "+ &=?#") {
		t.Fatalf("ambiguous characters left raw: %s", enc)
	}
	// Decode the way a tracker must (docs/protocol.md §10.3): %XX is a byte,
	// anything else itself.
	var dec []byte
	for i := 0; i < len(enc); i++ {
		if enc[i] == '%' {
			var b byte
			for _, c := range enc[i+1 : i+3] {
				b <<= 4
				switch {
				case c >= '0' && c <= '9':
					b |= c - '0'
				default:
					b |= c - 'A' + 10
				}
			}
			dec = append(dec, b)
			i += 2
			continue
		}
		dec = append(dec, enc[i])
	}
	if !bytes.Equal(dec, all[:]) {
		t.Fatal("percent-encoding does not round-trip")
	}
}

func TestScrapePath(t *testing.T) {
	for in, want := range map[string]string{
		"/announce":       "/scrape",
		"/announce.php":   "/scrape.php",
		"/abc/announce":   "/abc/scrape",
		"/key/x/announce": "/key/x/scrape",
		"/tracker":        "/scrape",
	} {
		if got := scrapePath(in); got != want {
			t.Errorf("scrapePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClassifyBencode(t *testing.T) {
	for _, tc := range []struct {
		body   string
		kind   int
		reason string
	}{
		{"d8:completei5e10:incompletei3e8:intervali1800e12:min intervali900e5:peers6:\xc0\x00\x02\x0a\x1a\xe16:peers60:e", msgAnnounceResp, ""},
		{"d5:filesd20:\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14d8:completei1e10:downloadedi0e10:incompletei0eeee", msgScrapeResp, ""},
		{"d5:filesdee", msgScrapeResp, ""},
		{"d14:failure reason63:Requested download is not authorized for use with this tracker.e", msgFailure, "Requested download is not authorized for use with this tracker."},
		{"d14:failure reason10:Overloaded8:retry in1:5e", msgFailure, "Overloaded"},
		{"<html>", msgUnknown, ""},
		{"", msgUnknown, ""},
	} {
		kind, reason := classifyBencode([]byte(tc.body))
		if kind != tc.kind || string(reason) != tc.reason {
			t.Errorf("%.30q: kind %d reason %q, want %d %q", tc.body, kind, reason, tc.kind, tc.reason)
		}
	}
}

func TestReadHTTPResponse(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  string
		body string
		keep bool
	}{
		{"content-length keep-alive", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nd5:filesdee", "d5:filesdee", true},
		{"connection close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nde", "de", false},
		{"http/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nde", "de", false},
		{"http/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nde", "de", true},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nd5:fi\r\n6;x=y\r\nlesdee\r\n0\r\n\r\n", "d5:filesdee", true},
		{"until close", "HTTP/1.1 200 OK\r\n\r\nd5:filesdee", "d5:filesdee", false},
	} {
		raw := tc.raw
		if tc.name != "until close" {
			raw += "HTTP/1.1 200 OK\r\n" // the next response must be left unread
		}
		cl := &httpClient{br: bufio.NewReader(strings.NewReader(raw))}
		status, keep, _, err := cl.readResponse()
		if err != nil || status != 200 || keep != tc.keep || string(cl.body) != tc.body {
			t.Errorf("%s: status %d keep %v body %q err %v", tc.name, status, keep, cl.body, err)
		}
	}
	cl := &httpClient{br: bufio.NewReader(strings.NewReader(""))}
	if _, _, got, err := cl.readResponse(); err == nil || got != 0 {
		t.Errorf("empty read: got %d err %v", got, err)
	}
}

func TestUDPAnnounceLayout(t *testing.T) {
	a := udpAnnounce{connID: 0x0102030405060708, tid: 0x0badf00d, infoHash: awkwardID(1), peerID: awkwardID(2),
		left: 1 << 20, event: udpEventStarted, key: 0xdeadbeef, numWant: -1, port: 6881}
	b := appendUDPAnnounce(nil, &a)
	if len(b) != 98 {
		t.Fatalf("announce of %d bytes, want 98", len(b))
	}
	be := binary.BigEndian
	if be.Uint64(b) != a.connID || be.Uint32(b[8:]) != udpActionAnnounce || be.Uint32(b[12:]) != a.tid ||
		!bytes.Equal(b[16:36], a.infoHash[:]) || !bytes.Equal(b[36:56], a.peerID[:]) ||
		be.Uint64(b[64:]) != a.left || be.Uint32(b[80:]) != 2 || be.Uint32(b[84:]) != 0 ||
		be.Uint32(b[88:]) != a.key || int32(be.Uint32(b[92:])) != -1 || be.Uint16(b[96:]) != 6881 {
		t.Fatalf("announce fields misplaced: % x", b)
	}
	c := appendUDPConnect(nil, 0x1a2b3c4d)
	if !bytes.Equal(c, []byte{0, 0, 4, 0x17, 0x27, 0x10, 0x19, 0x80, 0, 0, 0, 0, 0x1a, 0x2b, 0x3c, 0x4d}) {
		t.Errorf("connect % x", c)
	}
	s := appendUDPScrape(nil, 7, 9, []bittorrent.InfoHash{awkwardID(3), awkwardID(4)})
	if len(s) != 16+40 || be.Uint32(s[8:]) != udpActionScrape {
		t.Errorf("scrape % x", s)
	}
}

func TestParseUDPReply(t *testing.T) {
	var r udpReply
	// An announce reply in BEP 15's layout: interval 600, 3 leechers, 5
	// seeders, 2 peers.
	ann := []byte{0, 0, 0, 1, 0x0b, 0xad, 0xf0, 0x0d, 0, 0, 2, 0x58, 0, 0, 0, 3, 0, 0, 0, 5, 0xc0, 0, 2, 0x0a, 0x1a, 0xe1, 0xc6, 0x33, 0x64, 0x07, 0xc8, 0xd5}
	if err := parseUDPReply(ann, false, &r); err != nil || r.action != 1 || r.tid != 0x0badf00d || r.interval != 600 || r.leechers != 3 || r.seeders != 5 || r.peers != 2 {
		t.Errorf("announce: %+v %v", r, err)
	}
	conn := []byte{0, 0, 0, 0, 0x1a, 0x2b, 0x3c, 0x4d, 0x65, 0xf1, 0xa2, 0xb3, 0xc0, 0xff, 0xee, 0x11}
	if err := parseUDPReply(conn, false, &r); err != nil || r.action != 0 || r.connID != 0x65f1a2b3c0ffee11 {
		t.Errorf("connect: %+v %v", r, err)
	}
	scr := []byte{0, 0, 0, 2, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 5, 0, 0, 0, 0x78, 0, 0, 0, 3}
	if err := parseUDPReply(scr, false, &r); err != nil || r.action != 2 || r.scraped != 1 {
		t.Errorf("scrape: %+v %v", r, err)
	}
	e := append([]byte{0, 0, 0, 3, 0x0b, 0xad, 0xf0, 0x0d}, "info_hash not allowed"...)
	if err := parseUDPReply(e, false, &r); err != nil || r.action != 3 || string(r.message) != "info_hash not allowed" {
		t.Errorf("error: %+v %v", r, err)
	}
	if parseUDPReply([]byte{0, 0, 0, 1, 0, 0, 0}, false, &r) == nil || parseUDPReply([]byte{0, 0, 0, 9, 0, 0, 0, 0}, false, &r) == nil {
		t.Errorf("short or unknown replies accepted")
	}
}

func TestHistogramQuantiles(t *testing.T) {
	st := newStats()
	st.recording.Store(true)
	for i := 1; i <= 10000; i++ {
		st.latency(i, time.Duration(i)*time.Microsecond)
	}
	q, n := st.quantiles(0.5, 0.99)
	if n != 10000 {
		t.Fatalf("%d samples", n)
	}
	for i, want := range []time.Duration{5 * time.Millisecond, 9900 * time.Microsecond} {
		if rel := math.Abs(float64(q[i]-want)) / float64(want); rel > 0.04 {
			t.Errorf("quantile %d: %v, want %v ±4%%", i, q[i], want)
		}
	}
	if time.Duration(st.maxLat.Load()) != 10*time.Millisecond {
		t.Errorf("max %v", time.Duration(st.maxLat.Load()))
	}
	prev := -1
	for v := int64(0); v < 1<<40; v = v*5/4 + 1 {
		b := histBucket(v)
		if b < prev || b >= len(histogram{}.b) {
			t.Fatalf("bucket of %d is %d after %d", v, b, prev)
		}
		if mid := histValue(b); math.Abs(float64(mid-v)) > float64(v)/30+1 {
			t.Fatalf("bucket %d of %d represents %d", b, v, mid)
		}
		prev = b
	}
	// Nothing is recorded outside the measured window, except connect errors.
	st.recording.Store(false)
	st.add(0, cAnnounceResp, 1)
	st.add(0, cErrConnect, 1)
	if st.total(cAnnounceResp) != 0 || st.total(cErrConnect) != 1 {
		t.Errorf("recording switch ignored")
	}
}

func TestProcCPUAndRSS(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	deadline := time.Now().Add(50 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	if d, err := procCPU(os.Getpid()); err != nil || d <= 0 {
		t.Errorf("procCPU: %v %v", d, err)
	}
	if kb, err := procRSS(os.Getpid()); err != nil || kb <= 0 {
		t.Errorf("procRSS: %v %v", kb, err)
	}
	if cpuSelf() <= 0 {
		t.Errorf("getrusage: no CPU time")
	}
}

func TestFlags(t *testing.T) {
	var out bytes.Buffer
	cfg, _, err := parseFlags([]string{"-transport", "udp", "-target", "127.0.0.1:1", "-source-ips", "127.0.0.1, 127.0.0.2", "-pid", "1,2", "-tag", "server=x,workload=y"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.sourceIPs) != 2 || len(cfg.pids) != 2 || cfg.tags["server"] != "x" || cfg.tags["workload"] != "y" {
		t.Errorf("parsed %+v", cfg)
	}
	for _, bad := range [][]string{
		{"-transport", "tcp", "-target", "x"},
		{"-transport", "ws"},
		{"-transport", "http", "-target", "http://x/announce", "-idle"},
		{"-transport", "ws", "-target", "ws://x", "-answer-ratio", "2"},
		{"-transport", "ws", "-target", "ws://x", "-tag", "novalue"},
		{"-transport", "ws", "-target", "ws://x,,ws://y"},
	} {
		if _, _, err := parseFlags(bad, &out); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	cfg, _, err = parseFlags([]string{"-transport", "ws", "-target", "ws://x:1, ws://y:2"}, &out)
	if err != nil || !slices.Equal(cfg.targets, []string{"ws://x:1", "ws://y:2"}) {
		t.Errorf("two targets: %v %v", cfg, err)
	}
	if _, _, err := parseFlags([]string{"-h"}, &out); err == nil || !strings.Contains(out.String(), "-source-ips") {
		t.Errorf("-h does not document the flags")
	}
	p1, p2 := infoHashPool(5, 9), infoHashPool(5, 9)
	if p1[4] != p2[4] || p1[0] == p1[1] {
		t.Errorf("info hash pool is not a deterministic set of distinct hashes")
	}
}
