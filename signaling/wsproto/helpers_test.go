package wsproto

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Test helpers for the frame layer: a client-side frame encoder and a sink
// that records what the reader delivers.

// tfFrame is one client frame to encode.
type tfFrame struct {
	fin     bool
	rsv     byte // the three RSV bits, in place (0x70)
	op      Opcode
	payload []byte
	unmask  bool    // send it unmasked, as no client may
	key     [4]byte // masking key
	lenForm int     // 0: shortest; 16 or 64: force that length encoding
}

// tfEncode encodes frames as a client sends them.
func tfEncode(frames ...tfFrame) []byte {
	var out []byte
	for _, f := range frames {
		b0 := byte(f.op) | f.rsv
		if f.fin {
			b0 |= 0x80
		}
		out = append(out, b0)
		mask := byte(0x80)
		if f.unmask {
			mask = 0
		}
		n := len(f.payload)
		switch {
		case f.lenForm == 64 || (f.lenForm == 0 && n > 0xFFFF):
			out = append(out, mask|127)
			out = binary.BigEndian.AppendUint64(out, uint64(n))
		case f.lenForm == 16 || (f.lenForm == 0 && n > 125):
			out = append(out, mask|126)
			out = binary.BigEndian.AppendUint16(out, uint16(n))
		default:
			out = append(out, mask|byte(n))
		}
		if f.unmask {
			out = append(out, f.payload...)
			continue
		}
		out = append(out, f.key[:]...)
		for i, c := range f.payload {
			out = append(out, c^f.key[i%4])
		}
	}
	return out
}

func tfText(s string) tfFrame {
	return tfFrame{fin: true, op: OpText, payload: []byte(s), key: [4]byte{0x37, 0xfa, 0x21, 0x3d}}
}

// tfEvent is what the sink saw: a data message (OpText or OpBinary) or a
// control frame, by opcode.
type tfEvent struct {
	op      Opcode
	payload string
}

func (e tfEvent) String() string {
	switch e.op {
	case OpText:
		return fmt.Sprintf("text(%q)", e.payload)
	case OpBinary:
		return fmt.Sprintf("binary(%q)", e.payload)
	}
	return fmt.Sprintf("ctl%x(%q)", e.op, e.payload)
}

// tfSink records events; it stops after a close frame, as the relay does,
// or after stopAfter events when that is set.
type tfSink struct {
	events    []tfEvent
	stopAfter int
	stopped   bool
}

func (s *tfSink) FrameMessage(op Opcode, p []byte) bool {
	s.events = append(s.events, tfEvent{op: op, payload: string(p)})
	s.stopped = s.stopAfter != 0 && len(s.events) >= s.stopAfter
	return !s.stopped
}

func (s *tfSink) FrameControl(op Opcode, p []byte) bool {
	s.events = append(s.events, tfEvent{op: op, payload: string(p)})
	s.stopped = op == OpClose || (s.stopAfter != 0 && len(s.events) >= s.stopAfter)
	return !s.stopped
}

func (s *tfSink) String() string {
	parts := make([]string, len(s.events))
	for i, e := range s.events {
		parts[i] = e.String()
	}
	return strings.Join(parts, " ")
}

// tfFeed feeds stream in the given pieces (copies, as each piece of a real
// read lands in a reused buffer) and returns the events and the error.
func tfFeed(max int64, pieces ...[]byte) (*tfSink, *ProtocolError, *FrameReader) {
	var r FrameReader
	s := &tfSink{}
	for _, p := range pieces {
		if err := r.feed(append([]byte(nil), p...), max, s); err != nil {
			return s, err, &r
		}
		if s.stopped {
			break
		}
	}
	return s, nil, &r
}
