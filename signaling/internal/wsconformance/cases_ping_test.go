package wsconformance

import (
	"bytes"
	"fmt"
)

// Section 2: pings and pongs (RFC 6455 §5.5.2, §5.5.3). A ping gets a pong
// with the same payload; control payloads are at most 125 bytes (§5.5);
// an unsolicited pong needs no answer.

func pingCases() []testCase {
	binaryPayload := []byte{0x00, 0xFF, 0xFE, 0xFD, 0xFC, 0xFB, 0x00, 0xFF}
	return []testCase{
		onConn("2.1 ping without payload", func(s *session) {
			s.send(pingFrame(nil))
			s.expectPong(nil)
		}),
		onConn("2.2 ping with a text payload", func(s *session) {
			s.send(pingFrame([]byte("Hello, world!")))
			s.expectPong([]byte("Hello, world!"))
		}),
		onConn("2.3 ping with a binary payload", func(s *session) {
			s.send(pingFrame(binaryPayload))
			s.expectPong(binaryPayload)
		}),
		onConn("2.4 ping with 125 bytes", func(s *session) {
			p := bytes.Repeat([]byte{0xFE}, 125)
			s.send(pingFrame(p))
			s.expectPong(p)
		}),
		onConn("2.5 ping with 126 bytes", func(s *session) {
			s.send(pingFrame(bytes.Repeat([]byte{0xFE}, 126)))
			s.expectClose(1002)
		}),
		onConn("2.6 ping with 125 bytes, a byte at a time", func(s *session) {
			p := bytes.Repeat([]byte("*"), 125)
			s.drip(pingFrame(p))
			s.expectPong(p)
		}),
		onConn("2.7 unsolicited pong without payload", func(s *session) {
			m := scrape()
			s.send(pongFrame(nil), m.frame())
			s.expectReply(m) // and nothing for the pong
		}),
		onConn("2.8 unsolicited pong with payload", func(s *session) {
			m := scrape()
			s.send(pongFrame([]byte("unsolicited pong payload")), m.frame())
			s.expectReply(m)
		}),
		onConn("2.9 unsolicited pong, then ping", func(s *session) {
			s.send(pongFrame([]byte("unsolicited pong payload")), pingFrame([]byte("ping payload")))
			s.expectPong([]byte("ping payload"))
		}),
		onConn("2.10 ten pings in one write", func(s *session) {
			var fs []frame
			for i := range 10 {
				fs = append(fs, pingFrame(fmt.Appendf(nil, "payload-%d", i)))
			}
			s.send(fs...)
			for i := range 10 {
				s.expectPong(fmt.Appendf(nil, "payload-%d", i))
			}
		}),
		onConn("2.11 ten pings in chunks of 3 bytes", func(s *session) {
			var fs []frame
			for i := range 10 {
				fs = append(fs, pingFrame(fmt.Appendf(nil, "payload-%d", i)))
			}
			s.sendChunked(wire(fs...), 3)
			for i := range 10 {
				s.expectPong(fmt.Appendf(nil, "payload-%d", i))
			}
		}),
		// A control frame's 7-bit length field must hold its length: a
		// 16-bit encoding of a short payload is as much a violation as a
		// long payload, and both implementations see it in the first two
		// bytes.
		onConn("2.12 ping of 5 bytes with a 16-bit length", func(s *session) {
			f := pingFrame([]byte("hello"))
			f.length = len16
			s.send(f)
			s.expectClose(1002)
		}),
		onConn("2.13 pong with 126 bytes", func(s *session) {
			s.send(pongFrame(make([]byte, 126)))
			s.expectClose(1002)
		}),
		onConn("2.14 ping with zero masking key", func(s *session) {
			f := pingFrame([]byte("key 0"))
			f.zeroKey = true
			s.send(f)
			s.expectPong([]byte("key 0"))
		}),
	}
}
