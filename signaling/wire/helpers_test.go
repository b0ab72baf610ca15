package wire

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// Shared helpers of the codec tests. Names start with tc to stay clear of
// the rest of the package's tests.

// tcHex returns the 20 bytes of a 40-char hex string.
func tcHex(t testing.TB, s string) [20]byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 20 {
		t.Fatalf("bad hex id %q", s)
	}
	return [20]byte(b)
}

// tcRaw is the wire form browsers send: bytes >= 0x80 as two-byte UTF-8.
func tcRaw(b []byte) string { return string(AppendBinaryString(nil, b)) }

// tcEscaped is the ASCII-only form an encoder that escapes non-ASCII
// produces: printable ASCII as is, everything else as \u00XX (upper-case
// hex when upper is set, to cover both).
func tcEscaped(b []byte, upper bool) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, c := range b {
		switch {
		case c == '"' || c == '\\':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c >= 0x20 && c < 0x7F:
			sb.WriteByte(c)
		case upper:
			fmt.Fprintf(&sb, `\u00%02X`, c)
		default:
			fmt.Fprintf(&sb, `\u00%02x`, c)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

// tcAllEscaped escapes every byte, printable ones included, as \u00xx,
// with '/' as the short escape \/ to cover that one too.
func tcAllEscaped(b []byte) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, c := range b {
		if c == '/' {
			sb.WriteString(`\/`)
			continue
		}
		fmt.Fprintf(&sb, `\u%04x`, c)
	}
	sb.WriteByte('"')
	return sb.String()
}

// tcSDP returns a realistic non-trickle Chrome data-channel offer (or
// answer) SDP of about 1.5 KB: every ICE candidate is inline
// (docs/protocol.md §2.4).
func tcSDP(seed int, answer bool) string {
	setup := "actpass"
	if answer {
		setup = "active"
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "v=0\r\no=- %d 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", 4611731400430051336+int64(seed))
	sb.WriteString("a=group:BUNDLE 0\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n")
	sb.WriteString("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n")
	cands := []string{
		"a=candidate:%d 1 udp 2113937151 3c5f1e0a-7f2d-4a6e-9b1c-%012x.local 54321 typ host generation 0 network-cost 999\r\n",
		"a=candidate:%d 1 udp 2113939711 9a8b7c6d-1e2f-4a3b-8c9d-%012x.local 54322 typ host generation 0 network-cost 999\r\n",
		"a=candidate:%d 1 tcp 1518280447 3c5f1e0a-7f2d-4a6e-9b1c-%012x.local 9 typ host tcptype active generation 0 network-cost 999\r\n",
		"a=candidate:%d 1 udp 1677729535 203.0.113.%d 61234 typ srflx raddr 0.0.0.0 rport 0 generation 0 network-cost 999\r\n",
		"a=candidate:%d 1 udp 1677732095 2001:db8::%x 61235 typ srflx raddr :: rport 0 generation 0 network-cost 999\r\n",
		"a=candidate:%d 1 udp 33562623 198.51.100.%d 3478 typ relay raddr 203.0.113.7 rport 61234 generation 0 network-cost 999\r\n",
	}
	for i, c := range cands {
		fmt.Fprintf(&sb, c, 1467250027+i*7919+seed, (seed*31+i)%250)
	}
	fmt.Fprintf(&sb, "a=ice-ufrag:%04x\r\na=ice-pwd:Xb7PqL2mZk9VtR4sWn8YcE%02d\r\na=ice-options:trickle\r\n", 0x9f3a+seed, seed%100)
	sb.WriteString("a=fingerprint:sha-256 6B:8F:1C:2D:9E:3A:4B:5C:6D:7E:8F:90:A1:B2:C3:D4:E5:F6:07:18:29:3A:4B:5C:6D:7E:8F:90:A1:B2:C3:D4\r\n")
	fmt.Fprintf(&sb, "a=setup:%s\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n", setup)
	return sb.String()
}

// tcJSONString is encoding/json's quoting of s, as a browser's
// JSON.stringify would send an SDP.
func tcJSONString(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			sb.WriteByte('\\')
			sb.WriteRune(r)
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r == '\t':
			sb.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(&sb, `\u%04x`, r)
		default:
			sb.WriteRune(r)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

// Ids used across the tests. tcIH (a94a8fe5…) has control bytes, '/' and
// bytes >= 0x80, so its binary string needs several of the forms of
// docs/protocol.md §3.2; TestDecodeSpecExample decodes it.
var (
	tcIH    = [20]byte{0xa9, 0x4a, 0x8f, 0xe5, 0xcc, 0xb1, 0x9b, 0xa6, 0x1c, 0x4c, 0x08, 0x73, 0xd3, 0x91, 0xe9, 0x87, 0x98, 0x2f, 0xbb, 0xd3}
	tcPeer  = [20]byte([]byte("-WW0300-Zk3Q9s1bX2aQ"))
	tcPeer2 = [20]byte([]byte("-WW0300-a+b/c9d8e7f6"))
)

// tcOfferID returns a distinct offer id with non-ASCII bytes.
func tcOfferID(i int) [20]byte {
	var id [20]byte
	for k := range id {
		id[k] = byte(i*37 + k*13 + 0x80)
	}
	return id
}

// tcAnnounce builds a browser-style announce with n offers
// (docs/protocol.md §4.2).
func tcAnnounce(n int, event string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, `{"numwant":%d,"uploaded":0,"downloaded":0,"left":null,`, n)
	if event != "" {
		fmt.Fprintf(&sb, `"event":%q,`, event)
	}
	fmt.Fprintf(&sb, `"action":"announce","info_hash":%s,"peer_id":%s,"offers":[`, tcRaw(tcIH[:]), tcRaw(tcPeer[:]))
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		id := tcOfferID(i)
		fmt.Fprintf(&sb, `{"offer":{"type":"offer","sdp":%s},"offer_id":%s}`, tcJSONString(tcSDP(i, false)), tcRaw(id[:]))
	}
	sb.WriteString("]}")
	return sb.String()
}

// tcAnswerMsg builds an answer message (docs/protocol.md §4.3).
func tcAnswerMsg() string {
	id := tcOfferID(3)
	return fmt.Sprintf(`{"action":"announce","info_hash":%s,"peer_id":%s,"to_peer_id":%s,"offer_id":%s,"answer":{"type":"answer","sdp":%s}}`,
		tcRaw(tcIH[:]), tcRaw(tcPeer2[:]), tcRaw(tcPeer[:]), tcRaw(id[:]), tcJSONString(tcSDP(7, true)))
}
