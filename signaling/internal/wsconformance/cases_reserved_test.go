package wsconformance

import "fmt"

// Sections 3 and 4: reserved bits and reserved opcodes. Without a
// negotiated extension every RSV bit must be 0, and an unknown opcode
// cannot be handled: either fails the connection with 1002 (RFC 6455
// §5.2). What came before the bad frame is served; what comes after it is
// not.

func reservedBitCases() []testCase {
	return []testCase{
		onConn("3.1 RSV1 on a text message", func(s *session) {
			s.send(frame{fin: true, rsv: 4, op: opText, payload: scrape().payload})
			s.expectClose(1002)
		}),
		onConn("3.2 RSV2 on a text message between a message and a ping", func(s *session) {
			m := scrape()
			s.send(m.frame(), frame{fin: true, rsv: 2, op: opText, payload: scrape().payload}, pingFrame(nil))
			s.expectReply(m)
			s.expectClose(1002) // and no pong
		}),
		onConn("3.3 RSV1+RSV2 on a text message between a message and a ping, in separate writes", func(s *session) {
			m := scrape()
			s.send(m.frame())
			s.expectReply(m)
			s.send(frame{fin: true, rsv: 6, op: opText, payload: scrape().payload})
			s.sendChunked(wire(pingFrame(nil)), 64) // may find the socket gone
			s.expectClose(1002)
		}),
		onConn("3.4 RSV3 on a text message, a byte at a time", func(s *session) {
			m := scrape()
			s.drip(m.frame(), frame{fin: true, rsv: 1, op: opText, payload: scrape().payload}, pingFrame(nil))
			s.expectReply(m)
			s.expectClose(1002)
		}),
		onConn("3.5 RSV1+RSV3 on a binary message", func(s *session) {
			s.send(frame{fin: true, rsv: 5, op: opBinary, payload: []byte{0xFF, 0x00}})
			s.expectClose(1002)
		}),
		onConn("3.6 RSV2+RSV3 on a ping", func(s *session) {
			s.send(frame{fin: true, rsv: 3, op: opPing, payload: []byte("ping")})
			s.expectClose(1002)
		}),
		onConn("3.7 all RSV bits on a close", func(s *session) {
			f := closeFrame(1000, "")
			f.rsv = 7
			s.send(f)
			s.expectClose(1002)
		}),
		onConn("3.8 RSV1 on a continuation frame", func(s *session) {
			m := scrape()
			s.send(fragment(opText, false, m.payload[:10]), frame{fin: true, rsv: 4, op: opCont, payload: m.payload[10:]})
			s.expectClose(1002)
		}),
		onConn("3.9 RSV1 on a pong", func(s *session) {
			s.send(frame{fin: true, rsv: 4, op: opPong})
			s.expectClose(1002)
		}),
	}
}

func opcodeCases() []testCase {
	var cs []testCase
	// 4.1: the reserved data opcodes 3-7; 4.2: the reserved control
	// opcodes 11-15. Each alone, with a payload, and between a message
	// and a ping.
	for i, ops := range [][]byte{{3, 4, 5, 6, 7}, {11, 12, 13, 14, 15}} {
		for j, op := range ops {
			n := fmt.Sprintf("4.%d.%d", i+1, 3*j+1)
			cs = append(cs,
				onConn(n+fmt.Sprintf(" reserved opcode %d", op), func(s *session) {
					s.send(frame{fin: true, op: op})
					s.expectClose(1002)
				}),
				onConn(fmt.Sprintf("4.%d.%d reserved opcode %d with a payload", i+1, 3*j+2, op), func(s *session) {
					s.send(frame{fin: true, op: op, payload: []byte("reserved opcode payload")})
					s.expectClose(1002)
				}),
				onConn(fmt.Sprintf("4.%d.%d reserved opcode %d between a message and a ping", i+1, 3*j+3, op), func(s *session) {
					m := scrape()
					s.send(m.frame(), frame{fin: true, op: op, payload: []byte("x")}, pingFrame(nil))
					s.expectReply(m)
					s.expectClose(1002)
				}),
			)
		}
	}
	// A reserved opcode without FIN is still an unknown opcode.
	cs = append(cs, onConn("4.3.1 reserved opcode 3 without FIN", func(s *session) {
		s.send(frame{op: 3, payload: []byte("x")})
		s.expectClose(1002)
	}))
	return cs
}
