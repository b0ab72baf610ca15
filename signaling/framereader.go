package signaling

import "encoding/binary"

// frameError is a client's violation of RFC 6455. The connection is failed
// with a close frame of code and text.
type frameError struct {
	code uint16
	text string
}

func (e *frameError) Error() string { return "websocket: " + e.text }

// The protocol violations, shared so that failing costs no allocation.
var (
	errRSV               = &frameError{closeProtocolError, "reserved bits set"}
	errOpcode            = &frameError{closeProtocolError, "unknown opcode"}
	errUnmasked          = &frameError{closeProtocolError, "client frame not masked"}
	errControlFragmented = &frameError{closeProtocolError, "fragmented control frame"}
	errControlTooLong    = &frameError{closeProtocolError, "control frame too long"}
	errLength            = &frameError{closeProtocolError, "invalid frame length"}
	errContinuation      = &frameError{closeProtocolError, "continuation frame without a message"}
	errNotContinuation   = &frameError{closeProtocolError, "new message inside a fragmented one"}
	errCloseTooShort     = &frameError{closeProtocolError, "close frame payload of one byte"}
	errCloseCode         = &frameError{closeProtocolError, "invalid close code"}
	errCloseUTF8         = &frameError{closeInvalidPayload, "close reason not UTF-8"}
	errTooBig            = &frameError{closeMessageTooBig, "message too big"}

	// errStopped is returned by feed when the sink asked it to stop; it
	// is not a protocol violation.
	errStopped = &frameError{}
)

// frameSink receives what a frameReader parses.
type frameSink interface {
	// frameMessage is called with each complete data message, text or
	// binary. payload is only valid during the call. It returns false to
	// stop reading.
	frameMessage(payload []byte) bool
	// frameControl is called with each ping, pong and close frame, which
	// may come between the fragments of a message. It returns false to
	// stop reading.
	frameControl(op byte, payload []byte) bool
}

// maxClientHeader is the longest client frame header: two bytes, a 64-bit
// length and the masking key.
const maxClientHeader = 14

// frameReader parses the frames a client sends, from a byte stream fed in
// pieces of any size. A message that arrives whole in one piece is handed
// to the sink where it lies, unmasked in place; only a frame or message
// that is split between pieces is copied, into a pooled buffer that is
// given back as soon as it is complete. An idle frameReader owns no buffer.
//
// Text messages are not checked for UTF-8 here: the message decoder does
// that and answers with a failure reply rather than closing.
type frameReader struct {
	hdr  [maxClientHeader]byte // a header split between pieces
	nhdr uint8                 // bytes of it in hdr

	inFrame    bool   // a header was read; left payload bytes follow
	fin        bool   // the current frame ends its message
	fragmented bool   // a message began with FIN clear; continuations follow
	op         byte   // the current frame's opcode
	key        uint32 // its masking key, rotated to the next payload byte
	left       uint64 // payload bytes of the current frame still to come

	msg  *[]byte // the data message so far, while it spans pieces or frames
	ctrl *[]byte // a control frame's payload, while it spans pieces
}

// feed parses data, calling s for every complete message and control
// frame, and keeps what is left of an unfinished frame. Messages longer
// than max bytes fail with errTooBig before they are read. data is unmasked
// in place. It returns nil when data is used up, errStopped when s asked to
// stop, or the protocol violation that ends the connection.
func (r *frameReader) feed(data []byte, max int64, s frameSink) *frameError {
	for {
		if !r.inFrame {
			if len(data) == 0 {
				return nil
			}
			var err *frameError
			if data, err = r.header(data, max); err != nil || !r.inFrame {
				return err
			}
		}
		chunk := data
		if uint64(len(chunk)) > r.left {
			chunk = chunk[:r.left]
		}
		data = data[len(chunk):]
		r.key = maskBytes(r.key, chunk)
		r.left -= uint64(len(chunk))
		if r.left > 0 {
			// data is used up in the middle of the payload.
			r.keep(chunk)
			return nil
		}
		r.inFrame = false
		if !r.complete(chunk, s) {
			return errStopped
		}
	}
}

// header reads the next frame header from data, or from the part kept from
// the previous piece and data, and returns the bytes after it. When data
// ends inside the header, it keeps what there is and leaves r.inFrame
// false.
func (r *frameReader) header(data []byte, max int64) ([]byte, *frameError) {
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
// It returns the header's length, or 0 when b holds only part of it. The
// first two bytes are checked as soon as they are there, so a broken client
// is failed without waiting for more.
func (r *frameReader) parseHeader(b []byte, max int64) (int, *frameError) {
	if len(b) < 2 {
		return 0, nil
	}
	b0, b1 := b[0], b[1]
	op := b0 & 0x0F
	fin := b0&0x80 != 0
	switch {
	case b0&0x70 != 0:
		return 0, errRSV
	case op > opBinary && op < opClose, op > opPong:
		return 0, errOpcode
	case b1&0x80 == 0:
		return 0, errUnmasked
	}
	control := op&0x08 != 0
	if control {
		switch {
		case !fin:
			return 0, errControlFragmented
		case b1&0x7F > maxControlPayload:
			return 0, errControlTooLong
		}
	} else {
		switch {
		case op == opContinuation && !r.fragmented:
			return 0, errContinuation
		case op != opContinuation && r.fragmented:
			return 0, errNotContinuation
		}
	}
	n := 2
	length := uint64(b1 & 0x7F)
	switch length {
	case 126:
		if len(b) < 4+4 {
			return 0, nil
		}
		length = uint64(binary.BigEndian.Uint16(b[2:]))
		n = 4
	case 127:
		if len(b) < 10+4 {
			return 0, nil
		}
		length = binary.BigEndian.Uint64(b[2:])
		if length>>63 != 0 {
			return 0, errLength
		}
		n = 10
	default:
		if len(b) < 2+4 {
			return 0, nil
		}
	}
	if !control && length+uint64(r.buffered()) > uint64(max) {
		return 0, errTooBig
	}
	r.key = binary.LittleEndian.Uint32(b[n:])
	r.op, r.fin, r.left, r.inFrame = op, fin, length, true
	return n + 4, nil
}

// buffered is the length of the data message kept so far.
func (r *frameReader) buffered() int {
	if r.msg == nil {
		return 0
	}
	return len(*r.msg)
}

// keep stores the unmasked start of a payload whose rest comes later.
func (r *frameReader) keep(chunk []byte) {
	p := &r.msg
	if r.op&0x08 != 0 {
		p = &r.ctrl
	}
	if *p == nil {
		*p = getBuf()
	}
	**p = append(**p, chunk...)
}

// complete handles a frame whose last payload bytes are tail, and reports
// whether s wants more.
func (r *frameReader) complete(tail []byte, s frameSink) bool {
	if r.op&0x08 != 0 {
		if r.ctrl == nil {
			return s.frameControl(r.op, tail)
		}
		*r.ctrl = append(*r.ctrl, tail...)
		ok := s.frameControl(r.op, *r.ctrl)
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
		return s.frameMessage(tail)
	}
	*r.msg = append(*r.msg, tail...)
	ok := s.frameMessage(*r.msg)
	putBuf(r.msg)
	r.msg = nil
	return ok
}

// midMessage reports whether the stream stopped inside a frame or a
// fragmented message, which makes an end of stream an error.
func (r *frameReader) midMessage() bool {
	return r.inFrame || r.nhdr > 0 || r.fragmented
}

// release gives back the buffers of an unfinished frame or message.
func (r *frameReader) release() {
	if r.msg != nil {
		putBuf(r.msg)
		r.msg = nil
	}
	if r.ctrl != nil {
		putBuf(r.ctrl)
		r.ctrl = nil
	}
}
