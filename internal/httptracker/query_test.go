package httptracker

import (
	"fmt"
	"strings"
	"testing"

	"github.com/swarmbridge/swarmbridge/bittorrent"
)

// TestDecodeEveryByte checks %XX for all 256 bytes in both hex cases and,
// for bytes that can appear raw, the raw form.
func TestDecodeEveryByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		forms := []string{fmt.Sprintf("%%%02X", c), fmt.Sprintf("%%%02x", c)}
		if c != '%' && c != '+' {
			forms = append(forms, string([]byte{byte(c)}))
		}
		for _, f := range forms {
			var buf [4]byte
			n, fail := decodeInto(buf[:], f, false)
			if fail != nil || n != 1 || buf[0] != byte(c) {
				t.Errorf("decode(%q) = %d %v %x, want byte %#02x", f, n, fail, buf[:1], c)
			}
		}
	}
}

func TestDecodeIDAllBytes(t *testing.T) {
	// Every byte value lands in some id position in upper, lower and mixed
	// hex, and decodes back exactly.
	for start := 0; start < 256; start += 20 {
		var want [20]byte
		for i := range want {
			want[i] = byte(start + i)
		}
		for _, form := range []string{esc(want[:]), strings.ToLower(esc(want[:])), mixedCase(esc(want[:]))} {
			var got [20]byte
			if f := decodeID(&got, form, false, failInvalidInfoHash); f != nil || got != want {
				t.Errorf("decodeID(%q) = %x, %v; want %x", form, got, f, want)
			}
		}
	}
}

func mixedCase(s string) string {
	b := []byte(s)
	for i := range b {
		if i%2 == 0 && b[i] >= 'A' && b[i] <= 'F' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

func TestDecodeID(t *testing.T) {
	raw20 := "abcdefghij0123456789"
	tests := []struct {
		name  string
		in    string
		plus  bool
		want  string
		fail  *Failure
		isBad bool
	}{
		{name: "raw bytes", in: raw20, want: raw20},
		{name: "raw high bytes", in: "\x80\xff\xfe" + raw20[3:], want: "\x80\xff\xfe" + raw20[3:]},
		{name: "raw control bytes", in: "\x00\x01\x7f" + raw20[3:], want: "\x00\x01\x7f" + raw20[3:]},
		{name: "mixed raw and escaped", in: "%00%FFabc%2b%2B" + raw20[7:], want: "\x00\xffabc++" + raw20[7:]},
		{name: "plus is literal", in: "+" + raw20[1:], want: "+" + raw20[1:]},
		{name: "plus as space only on request", in: "+" + raw20[1:], plus: true, want: " " + raw20[1:]},
		{name: "escaped plus stays plus", in: "%2B" + raw20[1:], plus: true, want: "+" + raw20[1:]},
		{name: "escaped space", in: "%20" + raw20[1:], want: " " + raw20[1:]},
		{name: "19 bytes", in: raw20[1:], fail: failInvalidInfoHash},
		{name: "21 bytes", in: raw20 + "x", fail: failInvalidInfoHash},
		{name: "21 bytes escaped", in: raw20 + "%00", fail: failInvalidInfoHash},
		{name: "empty", in: "", fail: failInvalidInfoHash},
		{name: "40 hex chars", in: strings.Repeat("ab", 20), fail: failInvalidInfoHash},
		{name: "truncated escape", in: raw20[2:] + "%4", fail: failBadEscape},
		{name: "lone percent", in: raw20[1:] + "%", fail: failBadEscape},
		{name: "non-hex escape", in: "%G0" + raw20[1:], fail: failBadEscape},
		{name: "non-hex second digit", in: "%0g" + raw20[1:], fail: failBadEscape},
		{name: "bad escape after length overflow", in: raw20 + raw20 + "%zz", fail: failBadEscape},
		{name: "utf8 is bytes", in: "é" + raw20[2:], want: "é" + raw20[2:]},
	}
	for _, tc := range tests {
		var got [20]byte
		f := decodeID(&got, tc.in, tc.plus, failInvalidInfoHash)
		if f != tc.fail {
			t.Errorf("%s: failure %v, want %v", tc.name, f, tc.fail)
			continue
		}
		if f == nil && string(got[:]) != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestNextParam(t *testing.T) {
	q := "a=1&b&=x&c=2=3&&d=%26&a=4"
	var got []string
	for q != "" {
		var k, v string
		k, v, q = nextParam(q)
		got = append(got, k+"|"+v)
	}
	want := []string{"a|1", "b|", "|x", "c|2=3", "|", "d|%26", "a|4"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestParseUint(t *testing.T) {
	tests := []struct {
		in    string
		limit uint64
		want  uint64
		ok    bool
	}{
		{"0", 10, 0, true},
		{"007", 10, 7, true},
		{"65535", 1 << 16, 65535, true},
		{"65536", 1 << 16, 65536, true},
		{"99999999999999999999999", 1 << 16, 1 << 16, true},
		{"18446744073709551615", 1<<64 - 1, 1<<64 - 1, true},
		{"18446744073709551616", 1<<64 - 1, 1<<64 - 1, true},
		{"", 10, 0, false},
		{"-1", 10, 0, false},
		{"+1", 10, 0, false},
		{" 1", 10, 0, false},
		{"1x", 10, 0, false},
		{"99999999999x", 10, 0, false},
		// Limits below 9: a digit larger than the limit saturates too
		// (MAX_NUMWANT may be as low as 1).
		{"999", 5, 5, true},
		{"9", 5, 5, true},
		{"5", 5, 5, true},
		{"4", 5, 4, true},
		{"7", 1, 1, true},
		{"1", 0, 0, true},
		{"123456789012345678901234", 5, 5, true},
	}
	for _, tc := range tests {
		got, ok := parseUint([]byte(tc.in), tc.limit)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseUint(%q, %d) = %d, %v; want %d, %v", tc.in, tc.limit, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseAnnounce(t *testing.T) {
	ih, pid := id20(1), id20(2)
	base := announceQuery(ih, pid, 6881, "")
	lim := numWantLimits{def: 50, max: 100}
	tests := []struct {
		name  string
		query string
		fail  *Failure
		check func(t *testing.T, p *announceParams)
	}{
		{name: "minimal", query: base, check: func(t *testing.T, p *announceParams) {
			if p.infoHash != ih || p.peerID != pid || p.port != 6881 {
				t.Errorf("ids or port wrong: %x %x %d", p.infoHash, p.peerID, p.port)
			}
			if p.left != bittorrent.LeftUnknown || !p.compact || p.noPeerID || p.numWant != 50 || p.event != bittorrent.EventUpdate || p.hasPlus {
				t.Errorf("defaults wrong: %+v", p)
			}
		}},
		{name: "escaped keys", query: "info%5Fhash=" + esc(ih[:]) + "&peer%5fid=" + esc(pid[:]) + "&%70ort=1", check: func(t *testing.T, p *announceParams) {
			if p.infoHash != ih || p.peerID != pid || p.port != 1 {
				t.Errorf("escaped keys not recognised: %+v", p)
			}
		}},
		{name: "keys are case sensitive", query: "INFO_HASH=" + esc(ih[:]) + "&peer_id=" + esc(pid[:]) + "&port=1", fail: failMissingInfoHash},
		{name: "first occurrence wins", query: base + "&info_hash=" + esc(pid[:]) + "&port=99", check: func(t *testing.T, p *announceParams) {
			if p.infoHash != ih || p.port != 6881 {
				t.Errorf("repeat overrode first value: %+v", p)
			}
		}},
		{name: "invalid repeat still needs valid escapes", query: base + "&port=%zz", fail: failBadEscape},
		{name: "missing info_hash", query: "peer_id=" + esc(pid[:]) + "&port=1", fail: failMissingInfoHash},
		{name: "missing peer_id", query: "info_hash=" + esc(ih[:]) + "&port=1", fail: failMissingPeerID},
		{name: "missing port", query: "info_hash=" + esc(ih[:]) + "&peer_id=" + esc(pid[:]), fail: failMissingPort},
		{name: "short info_hash", query: "info_hash=" + esc(ih[:19]) + "&peer_id=" + esc(pid[:]) + "&port=1", fail: failInvalidInfoHash},
		{name: "long peer_id", query: "info_hash=" + esc(ih[:]) + "&peer_id=" + esc(pid[:]) + "%00&port=1", fail: failInvalidPeerID},
		{name: "bad escape in ignored param", query: base + "&passkey=%G1", fail: failBadEscape},
		{name: "bad escape in key", query: base + "&%=1", fail: failBadEscape},
		{name: "plus recorded", query: "info_hash=+" + esc(ih[1:]) + "&peer_id=" + esc(pid[:]) + "&port=1", check: func(t *testing.T, p *announceParams) {
			if !p.hasPlus || p.infoHash[0] != '+' || p.infoHashPlus[0] != ' ' || string(p.infoHash[1:]) != string(p.infoHashPlus[1:]) {
				t.Errorf("plus forms wrong: %x %x", p.infoHash, p.infoHashPlus)
			}
		}},
		{name: "escaped plus is not ambiguous", query: "info_hash=%2B" + esc(ih[1:]) + "&peer_id=" + esc(pid[:]) + "&port=1", check: func(t *testing.T, p *announceParams) {
			if p.hasPlus || p.infoHash[0] != '+' {
				t.Errorf("escaped plus treated as ambiguous: %+v", p)
			}
		}},
		{name: "long unknown key ignored", query: base + "&" + strings.Repeat("k", 100) + "=v", check: func(*testing.T, *announceParams) {}},
		{name: "ip params ignored", query: base + "&ip=1.2.3.4&ipv4=1.2.3.4&ipv6=::1", check: func(*testing.T, *announceParams) {}},
		{name: "key 100 bytes escaped", query: base + "&key=" + strings.Repeat("%41", 100), check: func(*testing.T, *announceParams) {}},
		{name: "key 101 bytes", query: base + "&key=" + strings.Repeat("a", 101), fail: failInvalidKey},
		{name: "left saturates", query: base + "&left=99999999999999999999", check: func(t *testing.T, p *announceParams) {
			if p.left != 1<<63-1 {
				t.Errorf("left %d", p.left)
			}
		}},
		{name: "left escaped digits", query: base + "&left=%30", check: func(t *testing.T, p *announceParams) {
			if p.left != 0 {
				t.Errorf("left %d", p.left)
			}
		}},
		{name: "left negative is unknown", query: base + "&left=-1", check: func(t *testing.T, p *announceParams) {
			if p.left != bittorrent.LeftUnknown {
				t.Errorf("left %d", p.left)
			}
		}},
		{name: "left too long is unknown", query: base + "&left=" + strings.Repeat("1", 30), check: func(t *testing.T, p *announceParams) {
			if p.left != bittorrent.LeftUnknown {
				t.Errorf("left %d", p.left)
			}
		}},
		{name: "numwant capped", query: base + "&numwant=100000000000000000000000", check: func(t *testing.T, p *announceParams) {
			if p.numWant != 100 {
				t.Errorf("numwant %d", p.numWant)
			}
		}},
		{name: "numwant -1 is default", query: base + "&numwant=-1", check: func(t *testing.T, p *announceParams) {
			if p.numWant != 50 {
				t.Errorf("numwant %d", p.numWant)
			}
		}},
		{name: "numwant 0", query: base + "&numwant=0", check: func(t *testing.T, p *announceParams) {
			if p.numWant != 0 {
				t.Errorf("numwant %d", p.numWant)
			}
		}},
		{name: "compact=0", query: base + "&compact=0", check: func(t *testing.T, p *announceParams) {
			if p.compact {
				t.Error("compact")
			}
		}},
		{name: "compact=%30", query: base + "&compact=%30", check: func(t *testing.T, p *announceParams) {
			if p.compact {
				t.Error("compact")
			}
		}},
		{name: "compact=no", query: base + "&compact=no", check: func(t *testing.T, p *announceParams) {
			if !p.compact {
				t.Error("not compact")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p announceParams
			f := parseAnnounce(tc.query, lim, &p)
			if f != tc.fail {
				t.Fatalf("failure %v, want %v", f, tc.fail)
			}
			if tc.check != nil {
				tc.check(t, &p)
			}
		})
	}
}

func TestParsePort(t *testing.T) {
	ih, pid := id20(1), id20(2)
	for port, ok := range map[string]bool{
		"1": true, "65535": true, "06881": true, "%36%38%38%31": true,
		"0": false, "65536": false, "": false, "-1": false, "+1": false,
		"1e3": false, "0x10": false, " 1": false, "99999999999999999999999999": false,
	} {
		var p announceParams
		q := "info_hash=" + esc(ih[:]) + "&peer_id=" + esc(pid[:]) + "&port=" + port
		f := parseAnnounce(q, numWantLimits{50, 100}, &p)
		if ok && f != nil || !ok && f != failInvalidPort {
			t.Errorf("port=%q: failure %v, want ok=%v", port, f, ok)
		}
	}
}

func TestParseEvent(t *testing.T) {
	tests := []struct {
		in      string
		ok      bool
		want    bittorrent.Event
		unknown bool
	}{
		{"started", true, bittorrent.EventStarted, false},
		{"completed", true, bittorrent.EventCompleted, false},
		{"stopped", true, bittorrent.EventStopped, false},
		{"paused", true, bittorrent.EventUpdate, false},
		{"empty", true, bittorrent.EventUpdate, false},
		{"", true, bittorrent.EventUpdate, false},
		{"<regular>", true, bittorrent.EventUpdate, true},
		{"STARTED", true, bittorrent.EventUpdate, true},
		{"update", true, bittorrent.EventUpdate, true},
		{"", false, bittorrent.EventUpdate, true}, // too long to decode
	}
	for _, tc := range tests {
		ev, unknown := parseEvent([]byte(tc.in), tc.ok)
		if ev != tc.want || unknown != tc.unknown {
			t.Errorf("parseEvent(%q, %v) = %v, %v; want %v, %v", tc.in, tc.ok, ev, unknown, tc.want, tc.unknown)
		}
	}
	// Through the parser: an escaped event name is the same event, and a
	// missing event is a regular update.
	ih, pid := id20(1), id20(2)
	var p announceParams
	if f := parseAnnounce(announceQuery(ih, pid, 1, "event=%73topped"), numWantLimits{50, 100}, &p); f != nil || p.event != bittorrent.EventStopped {
		t.Fatalf("escaped event: %v %v", f, p.event)
	}
}

func TestParseScrape(t *testing.T) {
	a, b := id20(1), id20(2)
	s := new(scratch)
	q := "info_hash=" + esc(a[:]) + "&passkey=x&info_hash=" + esc(b[:]) + "&info_hash=" + esc(a[:])
	if f := parseScrape(q, 3, s); f != nil {
		t.Fatal(f)
	}
	if len(s.hashes) != 3 || s.hashes[0] != a || s.hashes[1] != b || s.hashes[2] != a {
		t.Fatalf("repeated keys not all kept: %x", s.hashes)
	}
	if f := parseScrape(q+"&info_hash="+esc(b[:]), 3, s); f != failTooManyHashes {
		t.Fatalf("over the limit: %v", f)
	}
	if f := parseScrape("info_hash="+esc(a[:5]), 3, s); f != failInvalidInfoHash {
		t.Fatalf("short hash: %v", f)
	}
	if f := parseScrape("x=%", 3, s); f != failBadEscape {
		t.Fatalf("bad escape: %v", f)
	}
	plus := "+" + esc(a[1:])
	if f := parseScrape("info_hash="+esc(b[:])+"&info_hash="+plus, 3, s); f != nil {
		t.Fatal(f)
	}
	if len(s.plusIdx) != 1 || s.plusIdx[0] != 1 || s.plusHashes[0][0] != ' ' || s.hashes[1][0] != '+' {
		t.Fatalf("plus bookkeeping wrong: %v %x %x", s.plusIdx, s.plusHashes, s.hashes)
	}
}

func TestParseAnnounceAllocs(t *testing.T) {
	q := announceQuery(id20(1), id20(2), 6881, "uploaded=0&downloaded=0&left=100&event=started&key=abcd&compact=1&numwant=10")
	var p announceParams
	if n := testing.AllocsPerRun(100, func() { _ = parseAnnounce(q, numWantLimits{50, 100}, &p) }); n != 0 {
		t.Fatalf("parseAnnounce allocates %v times", n)
	}
}
