package wsconformance

import (
	"fmt"
	"strings"
)

// Section 7: the closing handshake and close codes (RFC 6455 §5.5.1, §7).
// A close frame is answered with a close frame, after which the server
// sends nothing and ends the TCP connection; frames behind the close are
// not served. The answer echoes the status code (§5.5.1: "typically");
// neither the RFC nor this suite asks for the reason to come back (ws
// echoes it, the tracker does not). A close payload that breaks §5.5.1 or
// §7.4 fails the connection: 1002, or 1007 for a reason that is not UTF-8.

// validCodes may be sent by a peer: those of RFC 6455 §7.4.1 and the IANA
// registry (§11.7) that are not reserved for reporting (1004-1006, 1015),
// and the ranges for libraries (3000-3999) and applications (4000-4999).
var validCodes = []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999}

// invalidCodes must never be sent: below 1000 (unused), 1004 (reserved),
// 1005, 1006 and 1015 (for reports only), 1016-2999 (reserved for the RFC,
// its revisions and extensions, and unassigned), and from 5000 up
// (undefined).
var invalidCodes = []uint16{0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}

func closeCases() []testCase {
	cs := []testCase{
		onConn("7.1.1 message, then close", func(s *session) {
			m := scrape()
			s.send(m.frame(), closeFrame(1000, ""))
			s.expectReply(m)
			s.expectClose(1000)
		}),
		onConn("7.1.2 two closes", func(s *session) {
			s.send(closeFrame(1000, ""), closeFrame(1000, ""))
			s.expectClose(1000) // once
		}),
		onConn("7.1.3 close, then ping", func(s *session) {
			s.send(closeFrame(1000, ""), pingFrame([]byte("after close")))
			s.expectClose(1000) // and no pong
		}),
		onConn("7.1.4 close, then message", func(s *session) {
			s.send(closeFrame(1000, ""), scrape().frame())
			s.expectClose(1000) // and no reply
		}),
		onConn("7.1.5 close inside a fragmented message", func(s *session) {
			m := scrape()
			s.send(fragment(opText, false, m.payload[:10]), closeFrame(1000, ""), fragment(opCont, true, m.payload[10:]))
			s.expectClose(1000) // and the message is never delivered
		}),
		// What the server queued before the client's close goes out before
		// its close frame: §5.5.2 requires the pong of a ping that came
		// before the close (7.1.6), and the closing handshake is there so
		// that both sides have received all the data (§1.4), answers to
		// earlier messages included (7.1.7). The largest message first
		// makes a long reply, so that the server is still writing it as the
		// rest and the close come. (Over wss:// the tracker writes it on a
		// writer goroutine, which it did not wait for: before the fix that
		// came with these cases, what was queued behind it was dropped.)
		onConn("7.1.6 large message, pings and close in one write", func(s *session) {
			m := scrapeOf(s.tg.maxMessage, s.tg.maxHashes)
			fs := []frame{m.frame()}
			for i := range 10 {
				fs = append(fs, pingFrame([]byte{byte('0' + i)}))
			}
			s.send(append(fs, closeFrame(1000, ""))...)
			s.expectReply(m)
			for i := range 10 {
				s.expectPong([]byte{byte('0' + i)})
			}
			s.expectClose(1000)
		}),
		onConn("7.1.7 large message, messages and close in one write", func(s *session) {
			ms := []message{scrapeOf(s.tg.maxMessage, s.tg.maxHashes)}
			for range 10 {
				ms = append(ms, scrape())
			}
			var fs []frame
			for _, m := range ms {
				fs = append(fs, m.frame())
			}
			s.send(append(fs, closeFrame(1000, ""))...)
			for _, m := range ms {
				s.expectReply(m)
			}
			s.expectClose(1000)
		}),
		// §5.5.1: a close frame without a body is answered by one without a
		// code (§7.1.5: the code received is 1005, which is never sent);
		// both implementations send an empty one, 1000 would also do.
		onConn("7.3.1 close without payload", func(s *session) {
			s.send(rawClose(nil))
			s.expectClose(noCode, 1000)
		}),
		onConn("7.3.2 close with a 1-byte payload", func(s *session) {
			s.send(rawClose([]byte{0x03}))
			s.expectClose(1002)
		}),
		onConn("7.3.3 close with a code and no reason", func(s *session) {
			s.send(closeFrame(1000, ""))
			s.expectClose(1000)
		}),
		onConn("7.3.4 close with a code and a reason", func(s *session) {
			s.send(closeFrame(1000, "Hello World!"))
			s.expectClose(1000)
		}),
		onConn("7.3.5 close with a reason of 123 bytes", func(s *session) {
			s.send(closeFrame(1000, strings.Repeat("*", 123)))
			s.expectClose(1000)
		}),
		onConn("7.3.6 close with a reason of 124 bytes", func(s *session) {
			s.send(closeFrame(1000, strings.Repeat("*", 124))) // a 126-byte control payload
			s.expectClose(1002)
		}),
		onConn("7.3.7 close with a reason in multi-byte UTF-8", func(s *session) {
			s.send(closeFrame(4000, "κόσμε 𝄞 \U0010ffff"))
			s.expectClose(4000)
		}),
		onConn("7.3.8 close, a byte at a time", func(s *session) {
			s.drip(closeFrame(1001, "going"))
			s.expectClose(1001)
		}),
		onConn("7.3.9 unmasked close", func(s *session) {
			f := closeFrame(1000, "")
			f.unmasked = true
			s.send(f)
			s.expectClose(1002)
		}),
		onConn("7.3.10 close without FIN", func(s *session) {
			f := closeFrame(1000, "")
			f.fin = false
			s.send(f)
			s.expectClose(1002)
		}),
		onConn("7.5.1 close with a reason that is not UTF-8", func(s *session) {
			s.send(closeFrame(1000, "Hello \xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80 World"))
			s.expectClose(1007)
		}),
		onConn("7.5.2 close with a reason cut inside a code point", func(s *session) {
			s.send(closeFrame(1000, "\xe2\x82"))
			s.expectClose(1007)
		}),
	}
	for i, code := range validCodes {
		cs = append(cs, onConn(fmt.Sprintf("7.7.%d valid close code %d", i+1, code), func(s *session) {
			s.send(closeFrame(code, "reason"))
			s.expectClose(code)
		}))
	}
	for i, code := range invalidCodes {
		cs = append(cs, onConn(fmt.Sprintf("7.9.%d invalid close code %d", i+1, code), func(s *session) {
			s.send(closeFrame(code, "reason"))
			s.expectClose(1002)
		}))
	}
	return cs
}
