package wsproto

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// NetConn returns the underlying connection, e.g. to set deadlines.
func (c *Conn) NetConn() net.Conn { return c.nc }

// Close closes the connection without a close handshake.
func (c *Conn) Close() error { return c.nc.Close() }

// WriteFrame sends b[MaxClientHeader:] as one final, masked frame of
// opcode op. The payload is masked in place, so b cannot be sent again.
// After a close frame it sends nothing and returns ErrCloseSent.
func (c *Conn) WriteFrame(op Opcode, b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return ErrCloseSent
	}
	_, err := c.writeLocked(op, b)
	return err
}

// WriteFrameContext is WriteFrame bounded by ctx: the connection's write
// deadline becomes ctx's (a context without one clears it), and a ctx
// that ends gives up the write. It returns how many bytes of the frame
// went out: an error after some did leaves half a frame on the wire, and
// the connection cannot go on. It sends nothing when ctx has ended or
// after a close frame (ErrCloseSent).
func (c *Conn) WriteFrameContext(ctx context.Context, op Opcode, b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if c.closeSent {
		return 0, ErrCloseSent
	}
	dl, _ := ctx.Deadline()
	_ = c.nc.SetWriteDeadline(dl)
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = c.nc.SetWriteDeadline(time.Unix(1, 0))
		close(fired)
	})
	n, err := c.writeLocked(op, b)
	if !stop() {
		<-fired // its deadline must not land on the next write
	}
	if err != nil {
		return n, ctxErr(ctx, err)
	}
	return n, nil
}

// WriteControl sends a control frame (ping, pong, close) with payload,
// which must be at most MaxControlPayload bytes. After a close frame it
// sends nothing and returns ErrCloseSent.
func (c *Conn) WriteControl(op Opcode, payload []byte) error {
	if len(payload) > MaxControlPayload {
		return errControlTooLong
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return ErrCloseSent
	}
	_, err := c.writeControlLocked(op, payload)
	return err
}

// answer sends a control frame the Conn sends on its own (pong, close)
// and says how many bytes went out. After a close frame it sends nothing.
func (c *Conn) answer(op Opcode, payload []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return 0, nil
	}
	return c.writeControlLocked(op, payload)
}

func (c *Conn) writeControlLocked(op Opcode, payload []byte) (int, error) {
	var buf [MaxClientHeader + MaxControlPayload]byte
	b := append(buf[:MaxClientHeader], payload...)
	if c.controlWrite > 0 {
		_ = c.nc.SetWriteDeadline(time.Now().Add(c.controlWrite))
	}
	return c.writeLocked(op, b)
}

// writeLocked masks and sends b[MaxClientHeader:] as one frame and says
// how many bytes went out. The caller holds wmu.
func (c *Conn) writeLocked(op Opcode, b []byte) (int, error) {
	if op == OpClose {
		c.closeSent = true // even if the write fails: the stream may hold part of it
	}
	c.key ^= c.key << 13
	c.key ^= c.key >> 7
	c.key ^= c.key << 17
	off := PutClientFrame(b, op, uint32(c.key))
	return c.nc.Write(b[off:])
}

// ReadMessage returns the next data message, text or binary. The slice is
// valid until the next call. Pings are answered and pongs ignored; a close
// frame is answered with the same code and ReadMessage returns a
// *CloseError, which matches ErrClosed. A frame that breaks RFC 6455 is
// failed with a close frame and returned as a *ProtocolError (ErrTooBig
// for a message over MaxMessageSize). io.EOF is a server that hung up
// between frames; in the middle of one it is io.ErrUnexpectedEOF.
func (c *Conn) ReadMessage() ([]byte, error) {
	_, msg, err := c.ReadMessageOp()
	return msg, err
}

// ReadMessageOp is ReadMessage that also returns the message's opcode,
// OpText or OpBinary (that of its first frame).
func (c *Conn) ReadMessageOp() (Opcode, []byte, error) {
	if c.discard > 0 {
		_, _ = c.br.Discard(c.discard)
		c.discard = 0
	}
	c.msg = c.msg[:0]
	fragmented := false
	var op Opcode
	for {
		h, err := c.readHeader()
		if err != nil {
			return 0, nil, err
		}
		if h.Op.IsControl() {
			if err := c.control(h); err != nil {
				return 0, nil, err
			}
			continue
		}
		switch {
		case h.Op == OpContinuation && !fragmented:
			return 0, nil, c.fail(errContinuation)
		case h.Op != OpContinuation && fragmented:
			return 0, nil, c.fail(errNotContinuation)
		case h.Length+uint64(len(c.msg)) > c.maxMessage:
			return 0, nil, c.fail(ErrTooBig)
		}
		if !fragmented {
			op = h.Op
		}
		n := int(h.Length)
		// A whole message in one frame that fits the read buffer is
		// returned in place.
		if h.Fin && !fragmented && n <= c.br.Size() {
			p, err := c.br.Peek(n)
			if err != nil {
				return 0, nil, fmt.Errorf("wsproto: reading a frame: %w", unexpectedEOF(err))
			}
			c.discard = n
			return op, p, nil
		}
		fragmented = true
		start := len(c.msg)
		c.msg = append(c.msg, make([]byte, n)...)
		if _, err := io.ReadFull(c.br, c.msg[start:]); err != nil {
			return 0, nil, fmt.Errorf("wsproto: reading a frame: %w", unexpectedEOF(err))
		}
		if h.Fin {
			return op, c.msg, nil
		}
	}
}

// readHeader reads and parses the next frame header.
func (c *Conn) readHeader() (Header, error) {
	b, err := c.br.Peek(2)
	if err != nil {
		return Header{}, err // io.EOF at the end of the stream, as is
	}
	b, err = c.br.Peek(HeaderLen(b))
	if err != nil {
		return Header{}, fmt.Errorf("wsproto: reading a frame header: %w", unexpectedEOF(err))
	}
	h, n, perr := ParseHeader(b, false)
	switch {
	case perr != nil:
		return Header{}, c.fail(perr)
	case h.Masked:
		return Header{}, c.fail(errMaskedServer)
	}
	_, _ = c.br.Discard(n)
	return h, nil
}

// unexpectedEOF: the end of the stream inside a frame is an error.
func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// control reads a control frame's payload and answers it.
func (c *Conn) control(h Header) error {
	c.ctrl = append(c.ctrl[:0], make([]byte, h.Length)...)
	if _, err := io.ReadFull(c.br, c.ctrl); err != nil {
		return fmt.Errorf("wsproto: reading a control frame: %w", unexpectedEOF(err))
	}
	switch h.Op {
	case OpPing:
		// A pong that timed out before a byte went out is skipped: the
		// stream is intact, and servers wait far longer for one than a
		// ControlWriteTimeout. Half a pong breaks the stream.
		var ne net.Error
		if n, err := c.answer(OpPong, c.ctrl); err != nil && (n > 0 || !errors.As(err, &ne) || !ne.Timeout()) {
			return fmt.Errorf("wsproto: answering a ping: %w", err)
		}
	case OpClose:
		code, perr := ParseClosePayload(c.ctrl)
		if perr != nil {
			return c.fail(perr)
		}
		ce := &CloseError{Code: code}
		var echo []byte
		if code != 0 {
			echo, ce.Reason = c.ctrl[:2], string(c.ctrl[2:])
		}
		_, _ = c.answer(OpClose, echo)
		return ce
	}
	return nil
}

// fail sends the close frame for a server's violation of RFC 6455 and
// returns the error that ends the connection.
func (c *Conn) fail(perr *ProtocolError) error {
	var buf [MaxControlPayload]byte
	_, _ = c.answer(OpClose, AppendClosePayload(buf[:0], perr.Code, perr.Text))
	return perr
}
