package wsconformance

import (
	"bytes"
	"fmt"
)

// Section 6: UTF-8 in text messages (RFC 6455 §5.6, §8.1). Valid UTF-8 must
// arrive whatever code points it holds and wherever fragments split it; a
// text message that is not valid UTF-8 fails the connection with 1007
// (§7.4.1), in both implementations. Validity is a property of the whole
// message: both check it once the message is complete, so what came
// before it is answered first.

// utf8Message is a scrape with text (UTF-8 or not) in an extra string
// field, which the tracker must take as JSON and an echo server sends back.
func utf8Message(text string) message {
	m := scrape()
	body := m.payload[:len(m.payload)-1] // without the closing brace
	m.payload = fmt.Appendf(append([]byte{}, body...), `,"note":"%s"}`, text)
	return m
}

// Valid UTF-8 from Autobahn's section 6: every length of sequence, the
// edges of the code space, and non-characters, which are valid UTF-8.
var validUTF8 = []struct{ name, text string }{
	{"Greek (2-byte sequences)", "κόσμε"},
	{"3-byte sequences", "€ 中文 ⌘"},
	{"4-byte sequences", "𝄞 😀 𐍈"},
	{"U+0080, U+07FF, U+0800, U+FFFF", "\u0080\u07ff\u0800\uffff"},
	{"U+10000 and U+10FFFF", "\U00010000\U0010ffff"},
	{"U+D7FF and U+E000 around the surrogates", "\ud7ff\ue000"},
	{"non-characters U+FFFE, U+FDD0, U+1FFFF", "\ufffe\ufdd0\U0001ffff"},
	{"a byte order mark", "\ufeffBOM"},
}

// Invalid UTF-8: each must fail the text message that holds it.
var invalidUTF8 = []struct{ name, text string }{
	{"a lone continuation byte", "a\x80b"},
	{"byte 0xFF", "\xff"},
	{"byte 0xFE", "\xfe"},
	{"an overlong slash", "\xc0\xaf"},
	{"an overlong NUL", "\xc0\x80"},
	{"an overlong 3-byte sequence", "\xe0\x80\xaf"},
	{"an overlong 4-byte sequence", "\xf0\x80\x80\xaf"},
	{"a 3-byte sequence cut short", "\xe2\x82"},
	{"a high surrogate", "\xed\xa0\x80"},
	{"a low surrogate", "\xed\xbf\xbf"},
	{"a surrogate pair", "\xed\xa0\x80\xed\xb0\x80"},
	{"a code point over U+10FFFF", "\xf4\x90\x80\x80"},
	{"a 5-byte sequence", "\xf8\x88\x80\x80\x80"},
	{"a 2-byte start before ASCII", "\xc3("},
}

func utf8Cases() []testCase {
	var cs []testCase
	for i, v := range validUTF8 {
		cs = append(cs, onConn(fmt.Sprintf("6.1.%d valid UTF-8: %s", i+1, v.name), func(s *session) {
			m := utf8Message(v.text)
			s.send(m.frame())
			s.expectReply(m)
		}))
	}
	cs = append(cs, onConn("6.1.9 valid 4-byte code points in 1-byte fragments", func(s *session) {
		m := utf8Message("𝄞😀𐍈\U0010ffff")
		s.send(m.fragments(1)...)
		s.expectReply(m)
	}))
	for i, v := range invalidUTF8 {
		cs = append(cs, onConn(fmt.Sprintf("6.2.%d invalid UTF-8: %s", i+1, v.name), func(s *session) {
			s.send(utf8Message(v.text).frame())
			expectInvalidText(s)
		}))
	}
	cs = append(cs,
		onConn("6.3.1 invalid UTF-8 split between fragments", func(s *session) {
			m := utf8Message("x\xf4\x90\x80\x80y")
			cut := bytes.IndexByte(m.payload, 0xF4) + 1
			s.send(fragment(opText, false, m.payload[:cut]), fragment(opCont, true, m.payload[cut:]))
			expectInvalidText(s)
		}),
		onConn("6.3.2 invalid UTF-8 in 1-byte fragments", func(s *session) {
			s.send(utf8Message("a\xed\xa0\x80b").fragments(1)...)
			expectInvalidText(s)
		}),
		// Binary messages carry no text: neither implementation checks
		// them for UTF-8 at the protocol level, so the connection stays.
		// (The tracker answers with a failure because its JSON decoder
		// wants UTF-8; an echo server sends the bytes back.)
		onConn("6.4.1 binary message that is not UTF-8", func(s *session) {
			m := notScrape(opBinary, []byte{0xFF, 0xFE, 0xC0, 0xAF, 0xED, 0xA0, 0x80})
			s.send(m.frame())
			s.expectReply(m)
			n := scrape()
			s.send(n.frame())
			s.expectReply(n)
		}),
	)
	return cs
}

// expectInvalidText is what follows a text message that is not valid
// UTF-8: a close frame with 1007, and the end of the connection.
func expectInvalidText(s *session) {
	s.t.Helper()
	s.expectClose(1007)
}
