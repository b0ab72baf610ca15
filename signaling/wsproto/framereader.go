package wsproto

// FrameSink receives what a FrameReader parses.
type FrameSink interface {
	// FrameMessage is called with each complete data message and its
	// opcode, OpText or OpBinary (that of its first frame). payload is only
	// valid during the call. It returns false to stop reading.
	FrameMessage(op Opcode, payload []byte) bool
	// FrameControl is called with each ping, pong and close frame, which
	// may come between the fragments of a message. It returns false to
	// stop reading.
	FrameControl(op Opcode, payload []byte) bool
}

// FrameReader parses the frames a client sends (a server's read side),
// from a byte stream fed in pieces of any size. A message that arrives
// whole in one piece is handed to the sink where it lies, unmasked in
// place; only a frame or message that is split between pieces is copied,
// into a pooled buffer that is given back as soon as it is complete. An
// idle FrameReader owns no buffer, and its zero value is ready to use.
//
// Text messages are not checked for UTF-8 here: the sink learns each
// message's opcode and decides (RFC 6455 §8.1 has a server fail the
// connection with 1007; the tracker's engine does). A message may consist
// of at most MaxFragments frames.
//
// A FrameReader is not safe for concurrent use.
type FrameReader struct {
	hdr  [MaxClientHeader]byte // a header split between pieces
	nhdr uint8                 // bytes of it in hdr

	inFrame    bool   // a header was read; left payload bytes follow
	fin        bool   // the current frame ends its message
	fragmented bool   // a message began with FIN clear; continuations follow
	stopped    bool   // the sink asked to stop
	op         Opcode // the current frame's opcode
	msgOp      Opcode // the current data message's opcode, from its first frame
	frames     uint16 // data frames of the current message so far
	key        uint32 // its masking key, rotated to the next payload byte
	left       uint64 // payload bytes of the current frame still to come

	msg  *[]byte // the data message so far, while it spans pieces or frames
	ctrl *[]byte // a control frame's payload, while it spans pieces
}

// Feed parses data, calling s for every complete message and control
// frame, and keeps what is left of an unfinished frame. Messages longer
// than max bytes fail with ErrTooBig before they are read. data is unmasked
// in place. Feed returns nil when data is used up or s asked to stop (the
// rest of data, and anything fed later, is then ignored), or the
// *ProtocolError that ends the connection.
func (r *FrameReader) Feed(data []byte, max int64, s FrameSink) error {
	if err := r.feed(data, max, s); err != nil {
		return err
	}
	return nil
}

// feed is Feed with a concrete error, so that nil stays nil.
func (r *FrameReader) feed(data []byte, max int64, s FrameSink) *ProtocolError {
	for !r.stopped {
		if !r.inFrame {
			if len(data) == 0 {
				return nil
			}
			var err *ProtocolError
			if data, err = r.header(data, max); err != nil || !r.inFrame {
				return err
			}
		}
		chunk := data
		if uint64(len(chunk)) > r.left {
			chunk = chunk[:r.left]
		}
		data = data[len(chunk):]
		r.key = Mask(r.key, chunk)
		r.left -= uint64(len(chunk))
		if r.left > 0 {
			// data is used up in the middle of the payload.
			r.keep(chunk)
			return nil
		}
		r.inFrame = false
		if !r.complete(chunk, s) {
			r.stopped = true
		}
	}
	return nil
}

// header reads the next frame header from data, or from the part kept from
// the previous piece and data, and returns the bytes after it. When data
// ends inside the header, it keeps what there is and leaves r.inFrame
// false.
func (r *FrameReader) header(data []byte, max int64) ([]byte, *ProtocolError) {
	if r.nhdr == 0 {
		n, err := r.parseHeader(data, max)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			r.nhdr = uint8(copy(r.hdr[:], data))
			return nil, nil
		}
		return data[n:], nil
	}
	had := int(r.nhdr)
	k := copy(r.hdr[had:], data)
	n, err := r.parseHeader(r.hdr[:had+k], max)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		r.nhdr += uint8(k)
		return nil, nil
	}
	r.nhdr = 0
	return data[n-had:], nil
}

// parseHeader parses a frame header at the start of b and starts the frame.
// It returns the header's length, or 0 when b holds only part of it. What
// the first two bytes tell is checked as soon as they are there.
func (r *FrameReader) parseHeader(b []byte, max int64) (int, *ProtocolError) {
	h, n, err := ParseHeader(b, true)
	if err != nil || len(b) < 2 {
		return 0, err
	}
	if !h.Op.IsControl() {
		switch {
		case h.Op == OpContinuation && !r.fragmented:
			return 0, errContinuation
		case h.Op != OpContinuation && r.fragmented:
			return 0, errNotContinuation
		case h.Op == OpContinuation && r.frames >= MaxFragments:
			return 0, errTooManyFragments
		}
	}
	if n == 0 {
		return 0, nil
	}
	if !h.Op.IsControl() {
		if h.Length+uint64(r.buffered()) > uint64(max) {
			return 0, ErrTooBig
		}
		if h.Op == OpContinuation {
			r.frames++
		} else {
			r.msgOp, r.frames = h.Op, 1
		}
	}
	r.key = h.Key
	r.op, r.fin, r.left, r.inFrame = h.Op, h.Fin, h.Length, true
	return n, nil
}

// buffered is the length of the data message kept so far.
func (r *FrameReader) buffered() int {
	if r.msg == nil {
		return 0
	}
	return len(*r.msg)
}

// keep stores the unmasked start of a payload whose rest comes later.
func (r *FrameReader) keep(chunk []byte) {
	p := &r.msg
	if r.op.IsControl() {
		p = &r.ctrl
	}
	if *p == nil {
		*p = getBuf()
	}
	**p = append(**p, chunk...)
}

// complete handles a frame whose last payload bytes are tail, and reports
// whether s wants more.
func (r *FrameReader) complete(tail []byte, s FrameSink) bool {
	if r.op.IsControl() {
		if r.ctrl == nil {
			return s.FrameControl(r.op, tail)
		}
		*r.ctrl = append(*r.ctrl, tail...)
		ok := s.FrameControl(r.op, *r.ctrl)
		putBuf(r.ctrl)
		r.ctrl = nil
		return ok
	}
	if !r.fin {
		r.fragmented = true
		r.keep(tail)
		return true
	}
	r.fragmented = false
	if r.msg == nil {
		// The common case: a whole message in one frame in one piece.
		return s.FrameMessage(r.msgOp, tail)
	}
	*r.msg = append(*r.msg, tail...)
	ok := s.FrameMessage(r.msgOp, *r.msg)
	putBuf(r.msg)
	r.msg = nil
	return ok
}

// MidMessage reports whether the stream stopped inside a frame or a
// fragmented message, which makes an end of stream an error.
func (r *FrameReader) MidMessage() bool {
	return r.inFrame || r.nhdr > 0 || r.fragmented
}

// Release gives back the buffers of an unfinished frame or message. Call
// it when the connection ends.
func (r *FrameReader) Release() {
	if r.msg != nil {
		putBuf(r.msg)
		r.msg = nil
	}
	if r.ctrl != nil {
		putBuf(r.ctrl)
		r.ctrl = nil
	}
}
