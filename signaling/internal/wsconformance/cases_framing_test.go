package wsconformance

import "fmt"

// Section 1: data frames of every payload length encoding (RFC 6455 §5.2):
// 7-bit lengths up to 125, 16-bit from 126 to 65535, 64-bit from 65536,
// also in encodings longer than needed, and lengths over the limit.

func u64(v uint64) *uint64 { return &v }

// messageOf is a text (or binary) message of n bytes: a scrape, or for
// lengths too short for one, a message the tracker answers with a failure.
func messageOf(s *session, op byte, n int) message {
	if n < minScrape {
		return notScrape(op, make([]byte, n))
	}
	m := scrapeOf(n, s.tg.maxHashes)
	m.op = op
	return m
}

func framingCases() []testCase {
	var cs []testCase
	// 1.1 and 1.2: text and binary messages at the edges of the length
	// encodings, each in one frame with the shortest encoding.
	for i, op := range []byte{opText, opBinary} {
		kind := [...]string{"text", "binary"}[i]
		for j, n := range []int{0, 125, 126, 127, 128, 65535, 65536} {
			cs = append(cs, onConn(fmt.Sprintf("1.%d.%d %s message of %d bytes", i+1, j+1, kind, n), func(s *session) {
				m := messageOf(s, op, n)
				s.send(m.frame())
				s.expectReply(m)
			}))
		}
	}

	// 1.3: §5.2 tells senders to use the shortest length encoding, but
	// does not tell receivers to fail longer ones. ws accepts them, and so
	// does the tracker: the message arrives as if encoded minimally.
	for i, c := range []struct {
		n    int
		form int
	}{{0, len16}, {100, len16}, {100, len64}, {1000, len64}, {125, len64}} {
		cs = append(cs, onConn(fmt.Sprintf("1.3.%d %d bytes with a %d-bit length", i+1, c.n, c.form), func(s *session) {
			m := messageOf(s, opText, c.n)
			f := m.frame()
			f.length = c.form
			s.send(f)
			s.expectReply(m)
		}))
	}

	// 1.4: a 64-bit length with the most significant bit set, which §5.2
	// says MUST be 0. Both fail the connection at the header, without
	// waiting for a payload that can never come.
	//
	// DIFFERENCE: ws closes with 1009 (it keeps lengths as JavaScript
	// numbers and calls any length over 2^53-1 too big); the tracker with
	// 1002, a protocol error, because such a header breaks §5.2 whatever
	// the limits.
	for i, n := range []uint64{1 << 63, 1<<63 | 5, ^uint64(0)} {
		cs = append(cs, onConn(fmt.Sprintf("1.4.%d 64-bit length %#x", i+1, n), func(s *session) {
			s.send(frame{fin: true, op: opText, length: len64, declared: u64(n), payload: []byte("abc")})
			if s.tracker() {
				s.expectClose(1002)
			} else {
				s.expectClose(1009)
			}
		}))
	}

	// 1.5: the message size limit (Config.MaxMessageSize; ws's
	// maxPayload), 1009 when over it (§7.4.1). A header that announces too
	// much fails at once: the payload is never waited for.
	cs = append(cs,
		onConn("1.5.1 header announcing one byte over the limit", func(s *session) {
			s.send(frame{fin: true, op: opText, declared: u64(uint64(s.tg.maxMessage) + 1), payload: []byte("{}")})
			s.expectClose(1009)
		}),
		onConn("1.5.2 header announcing 2^62 bytes", func(s *session) {
			s.send(frame{fin: true, op: opBinary, declared: u64(1 << 62)})
			s.expectClose(1009)
		}),
		onConn("1.5.3 fragments over the limit together", func(s *session) {
			half := make([]byte, s.tg.maxMessage/2+1)
			s.send(fragment(opText, false, half), fragment(opCont, true, half))
			s.expectClose(1009)
		}),
		onConn("1.5.4 message of exactly the limit", func(s *session) {
			m := scrapeOf(s.tg.maxMessage, s.tg.maxHashes)
			s.send(m.frame())
			s.expectReply(m)
		}),
		onConn("1.5.5 message of exactly the limit in fragments", func(s *session) {
			m := scrapeOf(s.tg.maxMessage, s.tg.maxHashes)
			s.send(m.fragments(s.tg.maxMessage/3 + 1)...)
			s.expectReply(m)
		}),
	)
	return cs
}
