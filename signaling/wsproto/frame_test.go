package wsproto

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"unsafe"
)

func TestMaskBytesMatchesTheRFC(t *testing.T) {
	key := [4]byte{0x12, 0x9a, 0xff, 0x01}
	for n := range 200 {
		for start := range 4 {
			// Unmasking from key phase start, in one call and in pieces.
			data := make([]byte, n)
			for i := range data {
				data[i] = byte(i * 7)
			}
			want := make([]byte, n)
			for i := range data {
				want[i] = data[i] ^ key[(start+i)%4]
			}
			k := binary.LittleEndian.Uint32(key[:])
			for range start {
				k = k>>8 | k<<24
			}
			whole := append([]byte(nil), data...)
			Mask(k, whole)
			if !bytes.Equal(whole, want) {
				t.Fatalf("n=%d start=%d: one call wrong", n, start)
			}
			pieces := append([]byte(nil), data...)
			kk := k
			for i := 0; i < n; i += 5 {
				kk = Mask(kk, pieces[i:min(i+5, n)])
			}
			if !bytes.Equal(pieces, want) {
				t.Fatalf("n=%d start=%d: pieces wrong", n, start)
			}
		}
	}
}

// Mask with the key as the four bytes of a frame header, the way a client
// holds it, is the XOR of RFC 6455 §5.3.
func TestMaskWithKeyBytes(t *testing.T) {
	key := [4]byte{0x12, 0x9a, 0xff, 0x01}
	for n := range 40 {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(i*131 + n)
		}
		want := append([]byte(nil), p...)
		for i := range want {
			want[i] ^= key[i%4]
		}
		Mask(binary.LittleEndian.Uint32(key[:]), p)
		if !bytes.Equal(p, want) {
			t.Fatalf("len %d: masking differs from RFC 6455", n)
		}
	}
}

func TestPutFrameHeader(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 70000} {
		b := make([]byte, MaxServerHeader, MaxServerHeader+n)
		b = append(b, bytes.Repeat([]byte{'x'}, n)...)
		off := PutServerHeader(b, OpText)
		f := b[off:]
		if f[0] != 0x80|byte(OpText) || f[1]&0x80 != 0 {
			t.Fatalf("n=%d: header %x: want FIN, text, unmasked", n, f[:2])
		}
		var got, hl int
		switch l := int(f[1]); l {
		case 126:
			got, hl = int(binary.BigEndian.Uint16(f[2:])), 4
		case 127:
			got, hl = int(binary.BigEndian.Uint64(f[2:])), 10
		default:
			got, hl = l, 2
		}
		if got != n || len(f)-hl != n {
			t.Fatalf("n=%d: header says %d, %d bytes follow", n, got, len(f)-hl)
		}
		if (n <= 125 && hl != 2) || (n > 125 && n <= 0xFFFF && hl != 4) {
			t.Fatalf("n=%d: header of %d bytes is not the shortest", n, hl)
		}
	}
}

// A client frame is what the frame reader, a server's, reads back: the
// same header through ParseHeader, the same payload once unmasked.
func TestPutClientFrame(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 65535, 65536} {
		payload := bytes.Repeat([]byte{'y'}, n)
		b := append(make([]byte, MaxClientHeader, MaxClientHeader+n), payload...)
		off := PutClientFrame(b, OpBinary, 0x0a0b0c0d)
		f := b[off:]
		h, hl, err := ParseHeader(f, true)
		if err != nil || hl != HeaderLen(f) || !h.Fin || h.Op != OpBinary || !h.Masked || h.Key != 0x0a0b0c0d || h.Length != uint64(n) {
			t.Fatalf("n=%d: %+v, header of %d (HeaderLen %d), %v", n, h, hl, HeaderLen(f), err)
		}
		if n > 3 && bytes.Equal(f[hl:], payload) {
			t.Fatalf("n=%d: payload not masked", n)
		}
		s, perr, _ := tfFeed(1<<20, f) // feeds a copy
		Mask(h.Key, f[hl:])
		if !bytes.Equal(f[hl:], payload) {
			t.Fatalf("n=%d: payload does not unmask", n)
		}
		if perr != nil || len(s.events) != 1 || s.events[0].payload != string(payload) {
			t.Fatalf("n=%d: the frame reader read %v %v", n, s, perr)
		}
	}
}

func TestFrameReaderMessages(t *testing.T) {
	big := strings.Repeat("0123456789", 7000) // 64-bit length
	mid := strings.Repeat("m", 300)           // 16-bit length
	stream := tfEncode(
		tfText(`{"action":"announce"}`),
		tfFrame{fin: true, op: OpBinary, payload: []byte("bin"), key: [4]byte{1, 2, 3, 4}},
		tfText(""),
		tfText(mid),
		tfText(big),
		tfFrame{fin: true, op: OpText, payload: []byte("long form"), lenForm: 64, key: [4]byte{9, 9, 9, 9}},
	)
	s, err, r := tfFeed(1<<20, stream)
	if err != nil {
		t.Fatal(err)
	}
	want := []tfEvent{{OpText, `{"action":"announce"}`}, {OpBinary, "bin"}, {OpText, ""}, {OpText, mid}, {OpText, big}, {OpText, "long form"}}
	if len(s.events) != len(want) {
		t.Fatalf("events %v", s)
	}
	for i, w := range want {
		if s.events[i] != w {
			t.Fatalf("event %d: %v", i, s.events[i])
		}
	}
	if r.msg != nil || r.ctrl != nil || r.MidMessage() {
		t.Fatal("an idle reader keeps a buffer or state")
	}
}

func TestFrameReaderHandsWholeMessagesOverInPlace(t *testing.T) {
	data := tfEncode(tfText("in place"))
	var seen []byte
	sink := &funcSink{msg: func(p []byte) { seen = p }}
	var r FrameReader
	if err := r.feed(data, 1024, sink); err != nil {
		t.Fatal(err)
	}
	if string(seen) != "in place" || unsafe.SliceData(seen) != &data[len(data)-len(seen)] {
		t.Fatal("a message that arrived whole was copied")
	}
}

type funcSink struct{ msg func([]byte) }

func (s *funcSink) FrameMessage(_ Opcode, p []byte) bool { s.msg(p); return true }
func (s *funcSink) FrameControl(Opcode, []byte) bool     { return true }

func TestFrameReaderFragmentsAndControlFramesBetweenThem(t *testing.T) {
	k := [4]byte{0xaa, 0x55, 0x0f, 0xf0}
	stream := tfEncode(
		tfFrame{op: OpText, payload: []byte("frag"), key: k},
		tfFrame{fin: true, op: OpPing, payload: []byte("p1"), key: k},
		tfFrame{op: OpContinuation, payload: []byte("men"), key: k},
		tfFrame{op: OpContinuation, payload: nil, key: k},
		tfFrame{fin: true, op: OpPong, payload: nil, key: k},
		tfFrame{fin: true, op: OpContinuation, payload: []byte("ted"), key: k},
		tfFrame{op: OpBinary, payload: nil, key: k},
		tfFrame{fin: true, op: OpContinuation, payload: []byte("after an empty first fragment"), key: k},
		tfText("next"),
	)
	s, err, r := tfFeed(1024, stream)
	if err != nil {
		t.Fatal(err)
	}
	// A fragmented message has the opcode of its first frame.
	want := `ctl9("p1") ctla("") text("fragmented") binary("after an empty first fragment") text("next")`
	if s.String() != want {
		t.Fatalf("got  %s\nwant %s", s, want)
	}
	if r.msg != nil {
		t.Fatal("message buffer kept after the message")
	}
}

func TestFrameReaderProtocolErrors(t *testing.T) {
	k := [4]byte{1, 2, 3, 4}
	for _, tc := range []struct {
		name   string
		stream []byte
		want   *ProtocolError
	}{
		{"unmasked", tfEncode(tfFrame{fin: true, op: OpText, payload: []byte("x"), unmask: true}), errUnmasked},
		{"RSV1 (no deflate)", tfEncode(tfFrame{fin: true, rsv: 0x40, op: OpText, key: k}), errRSV},
		{"RSV2", tfEncode(tfFrame{fin: true, rsv: 0x20, op: OpText, key: k}), errRSV},
		{"RSV3", tfEncode(tfFrame{fin: true, rsv: 0x10, op: OpText, key: k}), errRSV},
		{"opcode 3", tfEncode(tfFrame{fin: true, op: 3, key: k}), errOpcode},
		{"opcode 7", tfEncode(tfFrame{fin: true, op: 7, key: k}), errOpcode},
		{"opcode B", tfEncode(tfFrame{fin: true, op: 0xB, key: k}), errOpcode},
		{"opcode F", tfEncode(tfFrame{fin: true, op: 0xF, key: k}), errOpcode},
		{"fragmented ping", tfEncode(tfFrame{op: OpPing, key: k}), errControlFragmented},
		{"fragmented close", tfEncode(tfFrame{op: OpClose, key: k}), errControlFragmented},
		{"ping of 126 bytes", tfEncode(tfFrame{fin: true, op: OpPing, payload: make([]byte, 126), key: k}), errControlTooLong},
		{"continuation first", tfEncode(tfFrame{fin: true, op: OpContinuation, key: k}), errContinuation},
		{"text inside a fragmented message", tfEncode(
			tfFrame{op: OpText, payload: []byte("a"), key: k},
			tfFrame{fin: true, op: OpText, payload: []byte("b"), key: k}), errNotContinuation},
		{"64-bit length with the top bit", append([]byte{0x81, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0}, k[:]...), errLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err, _ := tfFeed(1024, tc.stream)
			if err != tc.want {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if err.Code != CloseProtocolError {
				t.Fatalf("close code %d, want 1002", err.Code)
			}
			if len(s.events) != 0 {
				t.Fatalf("events before the error: %v", s)
			}
		})
	}
}

func TestFrameReaderChecksTheFirstTwoBytesAtOnce(t *testing.T) {
	// A broken client is failed without waiting for the rest of a header.
	for _, b := range [][]byte{{0x81, 0x05}, {0xC1, 0x85}, {0x83, 0x85}, {0x09, 0x80}} {
		if _, err, _ := tfFeed(1024, b); err == nil {
			t.Errorf("%x: no error", b)
		}
	}
}

func TestFrameReaderMessageSizeLimit(t *testing.T) {
	k := [4]byte{5, 6, 7, 8}
	const max = 1000
	exact := tfEncode(tfFrame{fin: true, op: OpText, payload: make([]byte, max), key: k})
	if s, err, _ := tfFeed(max, exact); err != nil || len(s.events) != 1 {
		t.Fatalf("a message of exactly the limit: %v %v", err, s)
	}
	// One frame over the limit fails on its header, before its payload.
	over := tfEncode(tfFrame{fin: true, op: OpText, payload: make([]byte, max+1), key: k})
	if _, err, _ := tfFeed(max, over[:8]); err != ErrTooBig || err.Code != CloseMessageTooBig {
		t.Fatalf("one frame over the limit: %v", err)
	}
	// Fragments that add up to more.
	frags := tfEncode(
		tfFrame{op: OpText, payload: make([]byte, 600), key: k},
		tfFrame{fin: true, op: OpPing, key: k},
		tfFrame{fin: true, op: OpContinuation, payload: make([]byte, 401), key: k},
	)
	s, err, _ := tfFeed(max, frags)
	if err != ErrTooBig {
		t.Fatalf("fragments over the limit: %v", err)
	}
	if s.String() != `ctl9("")` {
		t.Fatalf("events: %v", s)
	}
	// Control frames do not count.
	ok := tfEncode(
		tfFrame{op: OpText, payload: make([]byte, 990), key: k},
		tfFrame{fin: true, op: OpPing, payload: make([]byte, 125), key: k},
		tfFrame{fin: true, op: OpContinuation, payload: make([]byte, 10), key: k},
	)
	if s, err, _ := tfFeed(max, ok); err != nil || len(s.events) != 2 {
		t.Fatalf("control frames counted against the limit: %v %v", err, s)
	}
}

// A message may have MaxFragments frames, however small; one more fails
// with 1008 as soon as its header is read. Control frames between
// fragments do not count, and each message counts afresh.
func TestFrameReaderBoundsTheFragmentsOfAMessage(t *testing.T) {
	k := [4]byte{9, 8, 7, 6}
	message := func(frames int, ping bool) []tfFrame {
		fs := []tfFrame{{op: OpText, payload: []byte("a"), key: k}}
		for i := 1; i < frames; i++ {
			if ping {
				fs = append(fs, tfFrame{fin: true, op: OpPing, key: k})
			}
			fs = append(fs, tfFrame{fin: i == frames-1, op: OpContinuation, key: k})
		}
		return fs
	}
	at := tfEncode(append(message(MaxFragments, true), message(MaxFragments, false)...)...)
	s, err, _ := tfFeed(1024, at)
	if err != nil || len(s.events) != MaxFragments+1 || s.events[len(s.events)-1] != (tfEvent{OpText, "a"}) {
		t.Fatalf("two messages of %d frames: %v, %d events", MaxFragments, err, len(s.events))
	}
	over := tfEncode(message(MaxFragments+1, false)...)
	s, err, _ = tfFeed(1024, over[:len(over)-4]) // the last header, less its key
	if err != errTooManyFragments || err.Code != ClosePolicyViolation {
		t.Fatalf("a message of %d frames: %v, want %v", MaxFragments+1, err, errTooManyFragments)
	}
	if len(s.events) != 0 {
		t.Fatalf("events: %v", s)
	}
}

func TestFrameReaderStopsWhenTheSinkSaysSo(t *testing.T) {
	stream := tfEncode(tfText("one"), tfFrame{fin: true, op: OpClose, payload: []byte{0x03, 0xe8}, key: [4]byte{1, 1, 1, 1}}, tfText("after close"))
	s, err, _ := tfFeed(1024, stream)
	if err != nil || !s.stopped || s.String() != `text("one") ctl8("\x03\xe8")` {
		t.Fatalf("%v: %v", err, s)
	}
	s, err, _ = tfFeed(1024, tfEncode(tfText("a"), tfText("b"), tfText("c")))
	if err != nil || len(s.events) != 3 {
		t.Fatal(err, s)
	}
	r := FrameReader{}
	sink := &tfSink{stopAfter: 2}
	if err := r.feed(tfEncode(tfText("a"), tfText("b"), tfText("c")), 1024, sink); err != nil || !sink.stopped || len(sink.events) != 2 {
		t.Fatalf("%v: %v", err, sink)
	}
	// Once stopped, the reader ignores what it is fed.
	if err := r.Feed(tfEncode(tfText("d")), 1024, sink); err != nil || len(sink.events) != 2 {
		t.Fatalf("fed after stopping: %v: %v", err, sink)
	}
}

// TestFrameReaderSplitAtEveryByte feeds a stream with every kind of frame
// in two pieces, cut at every byte, and one byte at a time: the reader must
// deliver the same events as when fed whole, and keep a buffer only while
// a frame is unfinished.
func TestFrameReaderSplitAtEveryByte(t *testing.T) {
	k := [4]byte{0xde, 0xad, 0xbe, 0xef}
	stream := tfEncode(
		tfText(`{"action":"scrape"}`),
		tfFrame{fin: true, op: OpPing, payload: []byte("ping!"), key: k},
		tfFrame{op: OpText, payload: []byte("split "), key: k},
		tfFrame{fin: true, op: OpPong, payload: []byte("pong"), key: k},
		tfFrame{fin: true, op: OpContinuation, payload: []byte("message"), key: k},
		tfFrame{fin: true, op: OpBinary, payload: bytes.Repeat([]byte{0xfe}, 300), key: k},
		tfFrame{fin: true, op: OpText, payload: []byte("64"), lenForm: 64, key: k},
		tfFrame{fin: true, op: OpText, payload: nil, key: k},
		tfFrame{fin: true, op: OpClose, payload: []byte{0x03, 0xe9, 'b', 'y', 'e'}, key: k},
	)
	whole, err, _ := tfFeed(1024, stream)
	if err != nil || !whole.stopped {
		t.Fatal(err)
	}
	want := whole.String()
	if len(whole.events) != 8 {
		t.Fatalf("fed whole: %s", want)
	}
	for cut := range len(stream) + 1 {
		got, err, r := tfFeed(1024, stream[:cut], stream[cut:])
		if err != nil || !got.stopped || got.String() != want {
			t.Fatalf("cut at %d: %v\ngot  %s\nwant %s", cut, err, got, want)
		}
		r.Release()
	}
	pieces := make([][]byte, len(stream))
	for i := range stream {
		pieces[i] = stream[i : i+1]
	}
	got, err, r := tfFeed(1024, pieces...)
	if err != nil || !got.stopped || got.String() != want {
		t.Fatalf("byte by byte: %v\ngot  %s\nwant %s", err, got, want)
	}
	r.Release()

	// Partway through a frame the reader holds a buffer, and gives it back
	// once the frame is complete.
	msg := tfEncode(tfText(strings.Repeat("x", 200)))
	var rd FrameReader
	if err := rd.feed(append([]byte(nil), msg[:50]...), 1024, &tfSink{}); err != nil || rd.msg == nil || !rd.MidMessage() {
		t.Fatalf("partway: %v, buffer %v", err, rd.msg != nil)
	}
	if err := rd.feed(append([]byte(nil), msg[50:]...), 1024, &tfSink{}); err != nil || rd.msg != nil || rd.MidMessage() {
		t.Fatalf("complete: %v, buffer %v", err, rd.msg != nil)
	}
	// A split header needs no buffer at all.
	if err := rd.feed(append([]byte(nil), msg[:3]...), 1024, &tfSink{}); err != nil || rd.msg != nil || !rd.MidMessage() {
		t.Fatalf("split header: %v", err)
	}
}

func TestClosePayload(t *testing.T) {
	for _, tc := range []struct {
		payload []byte
		code    uint16
		err     *ProtocolError
	}{
		{nil, 0, nil},
		{[]byte{0x03}, 0, errCloseTooShort},
		{[]byte{0x03, 0xe8}, 1000, nil},
		{[]byte{0x03, 0xe9, 'b', 'y', 'e'}, 1001, nil},
		{[]byte{0x0f, 0xa0}, 4000, nil},
		{[]byte{0x03, 0xf3}, 1011, nil},
		{[]byte{0x03, 0xe7}, 0, errCloseCode},             // 999
		{[]byte{0x03, 0xec}, 0, errCloseCode},             // 1004
		{[]byte{0x03, 0xed}, 0, errCloseCode},             // 1005: never sent
		{[]byte{0x03, 0xee}, 0, errCloseCode},             // 1006: never sent
		{[]byte{0x03, 0xf7}, 0, errCloseCode},             // 1015: never sent
		{[]byte{0x07, 0xd0}, 0, errCloseCode},             // 2000
		{[]byte{0x13, 0x88}, 0, errCloseCode},             // 5000
		{[]byte{0x03, 0xe8, 0xff, 0xfe}, 0, errCloseUTF8}, // reason not UTF-8
	} {
		code, err := ParseClosePayload(tc.payload)
		if code != tc.code || err != tc.err {
			t.Errorf("%x: %d %v, want %d %v", tc.payload, code, err, tc.code, tc.err)
		}
	}
	if errCloseUTF8.Code != CloseInvalidPayload {
		t.Error("a reason that is not UTF-8 is invalid payload data (1007)")
	}
	p := AppendClosePayload(nil, CloseGoingAway, strings.Repeat("é", 100))
	if len(p) > MaxControlPayload {
		t.Fatalf("close payload of %d bytes", len(p))
	}
	if code, err := ParseClosePayload(p); err != nil || code != CloseGoingAway {
		t.Fatalf("a long reason is cut to valid UTF-8: %v", err)
	}
}
