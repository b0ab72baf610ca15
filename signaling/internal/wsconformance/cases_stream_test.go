package wsconformance

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// Section 8: masking (RFC 6455 §5.1, §5.3), and bytes that arrive in any
// pieces: slowly, a byte at a time, or pipelined, many frames in one write
// and frames straddling writes at every byte (Autobahn spreads these over
// its sections as "chunked" and "slow" variants).

func maskingCases() []testCase {
	return []testCase{
		onConn("8.1.1 unmasked text message", func(s *session) {
			f := scrape().frame()
			f.unmasked = true
			s.send(f)
			s.expectClose(1002)
		}),
		onConn("8.1.2 unmasked ping", func(s *session) {
			s.send(frame{fin: true, op: opPing, payload: []byte("ping"), unmasked: true})
			s.expectClose(1002)
		}),
		onConn("8.1.3 unmasked continuation of a masked message", func(s *session) {
			m := scrape()
			s.send(fragment(opText, false, m.payload[:10]), frame{fin: true, op: opCont, payload: m.payload[10:], unmasked: true})
			s.expectClose(1002)
		}),
		onConn("8.1.4 message, then an unmasked message", func(s *session) {
			m := scrape()
			bad := scrape().frame()
			bad.unmasked = true
			s.send(m.frame(), bad)
			s.expectReply(m)
			s.expectClose(1002)
		}),
		onConn("8.1.5 unmasked empty binary message", func(s *session) {
			s.send(frame{fin: true, op: opBinary, unmasked: true})
			s.expectClose(1002)
		}),
		onConn("8.1.6 message masked with the key 0", func(s *session) {
			m := scrape()
			f := m.frame()
			f.zeroKey = true
			s.send(f)
			s.expectReply(m)
		}),
	}
}

func streamCases() []testCase {
	cs := maskingCases()
	cs = append(cs,
		onConn("8.2.1 a hundred messages and pings in one write", func(s *session) {
			var ms []message
			var fs []frame
			for i := range 100 {
				m := scrape()
				if i%3 == 1 {
					m = m.binary()
				}
				ms = append(ms, m)
				fs = append(fs, m.frame(), pingFrame(fmt.Appendf(nil, "%d", i)))
			}
			s.send(fs...)
			for i, m := range ms {
				s.expectReply(m)
				s.expectPong(fmt.Appendf(nil, "%d", i))
			}
		}),
		testCase{name: "8.2.2 frames in the handshake's write", run: func(t *testing.T, tg *target) {
			// §4.1 has a client wait for the server's response before it
			// sends frames, and says nothing of a server that gets them
			// early; both implementations serve them rather than lose what
			// they read together with the request headers, and this case
			// holds them to it.
			m, n := scrape(), scrape()
			s := open(t, tg, wire(m.frame(), pingFrame([]byte("early")), n.frame()))
			s.expectReply(m)
			s.expectPong([]byte("early"))
			s.expectReply(n)
		}},
		testCase{name: "8.2.3 close in the handshake's write", run: func(t *testing.T, tg *target) {
			m := scrape()
			s := open(t, tg, wire(m.frame(), closeFrame(1000, "")))
			s.expectReply(m)
			s.expectClose(1000)
		}},
		onConn("8.2.4 frames split between two writes at every byte", func(s *session) {
			// A message with a 16-bit length, a ping and a message in two
			// fragments: every split point lands once in a header, a
			// masking key, a payload and between frames.
			stream := func() ([]byte, []message) {
				a, b := scrapeOf(130, 1), scrapeOf(90, 1)
				return wire(append([]frame{a.frame(), pingFrame([]byte("p"))}, b.fragments(45)...)...), []message{a, b}
			}
			b, _ := stream()
			for i := 1; i < len(b); i++ {
				b, ms := stream()
				s.write(b[:i])
				time.Sleep(pause)
				s.write(b[i:])
				s.expectReply(ms[0])
				s.expectPong([]byte("p"))
				s.expectReply(ms[1])
			}
		}),
		onConn("8.2.5 message of 65536 bytes in 997-byte writes", func(s *session) {
			m := scrapeOf(65536, s.tg.maxHashes)
			s.sendChunked(wire(m.frame()), 997)
			s.expectReply(m)
		}),
		onConn("8.2.6 messages in writes of random sizes", func(s *session) {
			rng := rand.New(rand.NewPCG(1, 2))
			var ms []message
			var fs []frame
			for i := range 40 {
				m := scrapeOf(minScrape+rng.IntN(3000), s.tg.maxHashes)
				ms = append(ms, m)
				if i%4 == 0 {
					fs = append(fs, m.fragments(1+rng.IntN(200))...)
				} else {
					fs = append(fs, m.frame())
				}
			}
			b := wire(fs...)
			for len(b) > 0 {
				n := min(len(b), 1+rng.IntN(700))
				s.write(b[:n])
				b = b[n:]
				if rng.IntN(4) == 0 {
					time.Sleep(pause)
				}
			}
			for _, m := range ms {
				s.expectReply(m)
			}
		}),
		onConn("8.3.1 message a byte at a time", func(s *session) {
			m := scrape()
			s.drip(m.frame())
			s.expectReply(m)
		}),
		onConn("8.3.2 message with a 16-bit length a byte at a time", func(s *session) {
			m := scrapeOf(200, 2)
			s.drip(m.frame())
			s.expectReply(m)
		}),
		onConn("8.3.3 message with a 64-bit length a byte at a time", func(s *session) {
			m := scrapeOf(150, 1)
			f := m.frame()
			f.length = len64
			s.drip(f)
			s.expectReply(m)
		}),
		onConn("8.3.4 two messages a byte at a time, the second binary", func(s *session) {
			a, b := scrape(), scrape().binary()
			s.drip(a.frame(), b.frame())
			s.expectReply(a)
			s.expectReply(b)
		}),
	)
	return cs
}
