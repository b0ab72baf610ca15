package wsproto

import (
	"strings"
	"testing"
)

// Run with: go test -run '^$' -bench . -benchmem ./signaling/wsproto/

// BenchmarkFrameReaderAnnounce parses (and unmasks) an announce with ten
// offers that arrived whole, the common case on the pollers.
func BenchmarkFrameReaderAnnounce(b *testing.B) {
	frame := tfEncode(tfFrame{fin: true, op: OpText, payload: benchAnnounce, key: [4]byte{1, 2, 3, 4}})
	benchFrames(b, frame, 1)
}

// BenchmarkFrameReaderAnnounceInPieces is the same message arriving in
// 1400-byte pieces, as over a network: it is reassembled in a buffer.
func BenchmarkFrameReaderAnnounceInPieces(b *testing.B) {
	frame := tfEncode(tfFrame{fin: true, op: OpText, payload: benchAnnounce, key: [4]byte{1, 2, 3, 4}})
	benchFrames(b, frame, 1400)
}

// benchAnnounce stands for a browser's announce with ten offers: 13,798
// bytes of JSON text, the size of one built by the wire package's tests.
var benchAnnounce = []byte(`{"action":"announce","offers":[` + strings.Repeat(`{"offer":{"type":"offer","sdp":"v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"}}`, 163)[:13798-32] + `]}`)

func benchFrames(b *testing.B, frame []byte, piece int) {
	var r FrameReader
	sink := &funcSink{msg: func([]byte) {}}
	buf := make([]byte, len(frame))
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, frame)
		if piece <= 1 {
			if err := r.feed(buf, 1<<20, sink); err != nil {
				b.Fatal(err)
			}
			continue
		}
		for i := 0; i < len(buf); i += piece {
			if err := r.feed(buf[i:min(i+piece, len(buf))], 1<<20, sink); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkMaskBytes is unmasking alone.
func BenchmarkMaskBytes(b *testing.B) {
	buf := make([]byte, 16<<10)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		Mask(0x01020304, buf)
	}
}
