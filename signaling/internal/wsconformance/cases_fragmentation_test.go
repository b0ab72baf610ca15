package wsconformance

import "time"

// maxFragments is the most frames one message may have on both servers.
const maxFragments = 4096

// manyFragments is m in n frames: its payload in the first, then empty
// continuations, the last one final.
func manyFragments(m message, n int) []frame {
	fs := []frame{fragment(m.op, false, m.payload)}
	for i := 1; i < n; i++ {
		fs = append(fs, fragment(opCont, i == n-1, nil))
	}
	return fs
}

// Section 5: fragmentation (RFC 6455 §5.4). A message may come in any
// number of frames, control frames may come between them, and control
// frames themselves are never fragmented. A continuation without a message
// and a new message inside a fragmented one fail the connection with 1002.
//
// RFC 6455 does not bound the frames of a message, but both servers do, so
// that a client cannot keep a message open for ever with empty
// continuation frames: a message of more than maxFragments frames fails
// the connection with 1008 (policy violation: the message need not be
// big). The tracker allows wsproto.MaxFragments; ws is started with the
// same bound (its maxFragments option; its default is 16,384).

func fragmentationCases() []testCase {
	return []testCase{
		onConn("5.1 ping in two fragments", func(s *session) {
			s.send(frame{op: opPing, payload: []byte("frag")}, fragment(opCont, true, []byte("ment")))
			s.expectClose(1002)
		}),
		onConn("5.2 pong in two fragments", func(s *session) {
			s.send(frame{op: opPong, payload: []byte("frag")}, fragment(opCont, true, []byte("ment")))
			s.expectClose(1002)
		}),
		onConn("5.3 text message in two fragments", func(s *session) {
			m := scrape()
			s.send(m.fragments(len(m.payload)/2 + 1)...)
			s.expectReply(m)
		}),
		onConn("5.4 text message in two fragments, in separate writes", func(s *session) {
			m := scrape()
			for _, f := range m.fragments(len(m.payload)/2 + 1) {
				s.send(f)
				time.Sleep(pause)
			}
			s.expectReply(m)
		}),
		onConn("5.5 text message in two fragments, a byte at a time", func(s *session) {
			m := scrape()
			s.drip(m.fragments(len(m.payload)/2 + 1)...)
			s.expectReply(m)
		}),
		onConn("5.6 text message in two fragments with a ping between", func(s *session) {
			m := scrape()
			fs := m.fragments(len(m.payload)/2 + 1)
			s.send(fs[0], pingFrame([]byte("between")), fs[1])
			s.expectPong([]byte("between"))
			s.expectReply(m)
		}),
		onConn("5.7 text message in two fragments with a ping between, in separate writes", func(s *session) {
			m := scrape()
			fs := m.fragments(len(m.payload)/2 + 1)
			s.send(fs[0])
			s.send(pingFrame([]byte("between")))
			s.expectPong([]byte("between"))
			s.send(fs[1])
			s.expectReply(m)
		}),
		onConn("5.8 text message in two fragments with a ping between, a byte at a time", func(s *session) {
			m := scrape()
			fs := m.fragments(len(m.payload)/2 + 1)
			s.drip(fs[0], pingFrame([]byte("between")), fs[1])
			s.expectPong([]byte("between"))
			s.expectReply(m)
		}),
		onConn("5.9 continuation with FIN and no message", func(s *session) {
			m := scrape()
			s.send(fragment(opCont, true, []byte("continuation")), m.frame())
			s.expectClose(1002)
		}),
		onConn("5.10 continuation with FIN and no message, in separate writes", func(s *session) {
			s.send(fragment(opCont, true, []byte("continuation")))
			s.sendChunked(wire(scrape().frame()), 1024)
			s.expectClose(1002)
		}),
		onConn("5.11 continuation with FIN and no message, a byte at a time", func(s *session) {
			s.drip(fragment(opCont, true, []byte("continuation")), scrape().frame())
			s.expectClose(1002)
		}),
		onConn("5.12 continuation without FIN and no message", func(s *session) {
			s.send(fragment(opCont, false, []byte("continuation")), scrape().frame())
			s.expectClose(1002)
		}),
		onConn("5.13 continuation without FIN and no message, a byte at a time", func(s *session) {
			s.drip(fragment(opCont, false, []byte("continuation")), scrape().frame())
			s.expectClose(1002)
		}),
		onConn("5.14 empty continuation and no message", func(s *session) {
			s.send(fragment(opCont, true, nil))
			s.expectClose(1002)
		}),
		onConn("5.15 a message in two fragments, then a continuation", func(s *session) {
			m := scrape()
			fs := m.fragments(len(m.payload)/2 + 1)
			s.send(fs[0], fs[1], fragment(opCont, false, []byte("fragment3")), fragment(opText, true, []byte("fragment4")))
			s.expectReply(m)
			s.expectClose(1002)
		}),
		onConn("5.16 continuations before and after a fragmented message", func(s *session) {
			s.send(
				fragment(opCont, false, []byte("fragment1")), fragment(opText, false, []byte("fragment2")),
				fragment(opCont, true, []byte("fragment3")),
			)
			s.expectClose(1002)
		}),
		onConn("5.17 text message inside a fragmented message", func(s *session) {
			m := scrape()
			s.send(fragment(opText, false, m.payload[:20]), scrape().frame(), fragment(opCont, true, m.payload[20:]))
			s.expectClose(1002)
		}),
		onConn("5.18 binary message inside a fragmented text message", func(s *session) {
			s.send(fragment(opText, false, []byte("frag")), fragment(opBinary, true, []byte("ment")))
			s.expectClose(1002)
		}),
		onConn("5.19 text message in five fragments with pings between and pauses", func(s *session) {
			m := scrape()
			fs := m.fragments(len(m.payload)/5 + 1)
			for i, f := range fs {
				s.send(f)
				if i < len(fs)-1 {
					s.send(pingFrame([]byte{byte('0' + i)}))
					s.expectPong([]byte{byte('0' + i)})
					time.Sleep(10 * time.Millisecond)
				}
			}
			s.expectReply(m)
		}),
		onConn("5.20 text message in five fragments with pings between, a byte at a time", func(s *session) {
			m := scrape()
			var fs []frame
			for i, f := range m.fragments(len(m.payload)/5 + 1) {
				if i > 0 {
					fs = append(fs, pingFrame([]byte{byte('0' + i)}))
				}
				fs = append(fs, f)
			}
			s.drip(fs...)
			for i := 1; i < 5; i++ {
				s.expectPong([]byte{byte('0' + i)})
			}
			s.expectReply(m)
		}),
		onConn("5.21 text message in 1-byte fragments", func(s *session) {
			// Every two-byte code point of the hashes is split between two
			// fragments; UTF-8 validity is a property of the whole message.
			m := scrape()
			s.send(m.fragments(1)...)
			s.expectReply(m)
		}),
		onConn("5.22 binary message in 1-byte fragments", func(s *session) {
			m := scrape().binary()
			s.send(m.fragments(1)...)
			s.expectReply(m)
		}),
		onConn("5.23 empty first, middle and last fragments", func(s *session) {
			m := scrape()
			p := m.payload
			s.send(
				fragment(opText, false, nil), fragment(opCont, false, p[:30]), fragment(opCont, false, nil),
				fragment(opCont, false, p[30:]), fragment(opCont, true, nil),
			)
			s.expectReply(m)
		}),
		onConn("5.24 empty message in empty fragments", func(s *session) {
			m := notScrape(opText, nil)
			s.send(fragment(opText, false, nil), fragment(opCont, false, nil), fragment(opCont, true, nil))
			s.expectReply(m)
		}),
		onConn("5.25 pongs between fragments", func(s *session) {
			m := scrape()
			fs := m.fragments(20)
			var out []frame
			for _, f := range fs {
				out = append(out, f, pongFrame([]byte("unsolicited")))
			}
			s.send(out...)
			s.expectReply(m) // and nothing for the pongs
			s.send(pingFrame([]byte("after")))
			s.expectPong([]byte("after"))
		}),
		onConn("5.26 fragmented message of 65536 bytes in 997-byte fragments", func(s *session) {
			m := scrapeOf(65536, s.tg.maxHashes)
			s.send(m.fragments(997)...)
			s.expectReply(m)
		}),
		onConn("5.27 two fragmented messages back to back", func(s *session) {
			a, b := scrape(), scrape().binary()
			s.send(append(a.fragments(17), b.fragments(23)...)...)
			s.expectReply(a)
			s.expectReply(b)
		}),
		onConn("5.28 message in as many frames as allowed, with pings between, twice", func(s *session) {
			a, b := scrape(), scrape()
			var fs []frame
			for i, f := range manyFragments(a, maxFragments) {
				if i%512 == 1 {
					fs = append(fs, pingFrame([]byte{byte('0' + i/512)})) // control frames do not count
				}
				fs = append(fs, f)
			}
			s.send(append(fs, manyFragments(b, maxFragments)...)...)
			for i := range maxFragments / 512 {
				s.expectPong([]byte{byte('0' + i)})
			}
			s.expectReply(a)
			s.expectReply(b) // each message counts its own frames
		}),
		onConn("5.29 message in one frame more than allowed", func(s *session) {
			s.send(manyFragments(scrape(), maxFragments+1)...)
			s.expectClose(1008)
		}),
		onConn("5.30 one frame too many, the last two a byte at a time", func(s *session) {
			fs := manyFragments(scrape(), maxFragments+1)
			s.send(fs[:maxFragments-1]...)
			s.drip(fs[maxFragments-1:]...)
			s.expectClose(1008)
		}),
	}
}
