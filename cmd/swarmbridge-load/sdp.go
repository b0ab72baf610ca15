package main

import (
	"fmt"
	"strings"
)

// makeSDP returns a data-channel-only session description like the ones
// browsers produce with non-trickle ICE (every gathered candidate inlined,
// mDNS host names, server-reflexive and TCP candidates), grown with more
// candidates until it is at least size bytes. The addresses are from the
// documentation ranges: the tracker never parses SDP, and nothing ever
// connects to them.
func makeSDP(r *rng, answer bool, size int) string {
	var b strings.Builder
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\r\n")
	}
	line("v=0")
	line("o=- %d 2 IN IP4 127.0.0.1", r.next()>>1)
	line("s=-")
	line("t=0 0")
	line("a=group:BUNDLE 0")
	line("a=extmap-allow-mixed")
	line("a=msid-semantic: WMS")
	line("m=application 9 UDP/DTLS/SCTP webrtc-datachannel")
	line("c=IN IP4 0.0.0.0")
	var tail strings.Builder
	tline := func(format string, args ...any) {
		fmt.Fprintf(&tail, format, args...)
		tail.WriteString("\r\n")
	}
	tline("a=ice-ufrag:%s", randText(r, 4))
	tline("a=ice-pwd:%s", randText(r, 24))
	tline("a=ice-options:trickle")
	fp := make([]string, 32)
	for i := range fp {
		fp[i] = fmt.Sprintf("%02X", byte(r.next()))
	}
	tline("a=fingerprint:sha-256 %s", strings.Join(fp, ":"))
	if answer {
		tline("a=setup:active")
	} else {
		tline("a=setup:actpass")
	}
	tline("a=mid:0")
	tline("a=sctp-port:5000")
	tline("a=max-message-size:262144")
	for n := 0; b.Len()+tail.Len() < size || n < 2; n++ {
		foundation := r.next() >> 33
		port := 40000 + r.intn(20000)
		switch n % 4 {
		case 0:
			line("a=candidate:%d 1 udp 2113937151 %s.local %d typ host generation 0 network-cost 999", foundation, uuid(r), port)
		case 1:
			line("a=candidate:%d 1 udp 1677729535 203.0.113.%d %d typ srflx raddr 0.0.0.0 rport 0 generation 0 network-cost 999", foundation, 1+r.intn(254), port)
		case 2:
			line("a=candidate:%d 1 tcp 1518280447 %s.local 9 typ host tcptype active generation 0 network-cost 999", foundation, uuid(r))
		case 3:
			line("a=candidate:%d 1 udp 2113939711 2001:db8::%x %d typ host generation 0 network-cost 999", foundation, r.intn(0xffff), port)
		}
	}
	b.WriteString(tail.String())
	return b.String()
}

func randText(r *rng, n int) string {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	out := make([]byte, n)
	for i := range out {
		out[i] = alpha[r.intn(len(alpha))]
	}
	return string(out)
}

func uuid(r *rng) string {
	var b [16]byte
	r.fill(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// jsonStringToken returns s as a JSON string token (SDP text is ASCII;
// CR and LF become \r and \n as browsers' JSON.stringify writes them).
func jsonStringToken(s string) []byte {
	out := make([]byte, 0, len(s)+len(s)/16+2)
	out = append(out, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\r':
			out = append(out, '\\', 'r')
		case c == '\n':
			out = append(out, '\\', 'n')
		case c == '"' || c == '\\':
			out = append(out, '\\', c)
		case c < 0x20:
			out = append(out, fmt.Sprintf(`\u%04x`, c)...)
		default:
			out = append(out, c)
		}
	}
	return append(out, '"')
}

// sdpTokens returns n distinct SDPs as JSON string tokens.
func sdpTokens(r *rng, answer bool, size, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = jsonStringToken(makeSDP(r, answer, size))
	}
	return out
}
