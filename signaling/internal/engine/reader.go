package engine

import (
	"errors"
	"io"
	"sync"
	"unicode/utf8"

	"github.com/swarmbridge/swarmbridge/signaling/wsproto"
)

// The read side of a connection: bytes from the socket go through the
// frame reader (wsproto.FrameReader) into the Session. The same code
// serves both ways of reading: a poller that reads whatever is there when
// epoll says the socket is readable (poller_linux.go), and the fallback, a
// goroutine per connection blocked in Read (readLoop below), used for TLS
// and where there is no epoll.

// readEnd says why the read side stopped.
type readEnd struct {
	reason CloseReason
	// sendClose asks for a close frame of code (none when 0) and text as
	// the read side stops: the echo of the client's close, or why the
	// tracker fails the connection.
	sendClose bool
	code      uint16
	text      string
}

// consume parses bytes the client sent and handles the messages and
// control frames they complete. It runs on the read side with rmu held. It
// reports whether to go on reading; when not, the readEnd says why.
func (c *Conn) consume(data []byte) (readEnd, bool) {
	c.lastSeen.Store(c.since())
	err := c.fr.Feed(data, c.e.cfg.MaxMessageSize, (*sink)(c))
	switch {
	case err == nil && c.peerEnd.reason != closeReasonNone:
		return c.peerEnd, false // the sink stopped the reader: see peerEnd
	case err == nil:
		return readEnd{}, true
	case err == wsproto.ErrTooBig:
		code, text := CloseMessageTooBig.status()
		return readEnd{reason: CloseMessageTooBig, sendClose: true, code: code, text: text}, false
	}
	pe, ok := err.(*wsproto.ProtocolError)
	if !ok {
		return readEnd{reason: CloseReadError}, false
	}
	return readEnd{reason: CloseReadError, sendClose: true, code: pe.Code, text: pe.Text}, false
}

// sink is the connection as the frame reader's FrameSink, so that the
// sink's methods stay off Conn's own.
type sink Conn

// FrameMessage hands one message to the Session, unless it is a text
// message that is not UTF-8: RFC 6455 §8.1 has the server fail the
// connection then, with 1007.
func (s *sink) FrameMessage(op wsproto.Opcode, payload []byte) bool {
	c := (*Conn)(s)
	if c.closing.Load() {
		// The close handshake has begun; keep reading for its answer.
		return true
	}
	if op == wsproto.OpText && !utf8.Valid(payload) {
		code, text := CloseInvalidUTF8.status()
		c.peerEnd = readEnd{reason: CloseInvalidUTF8, sendClose: true, code: code, text: text}
		return false
	}
	if c.e.cfg.IdleTimeout > 0 {
		c.lastMsg.Store(c.since())
	}
	c.session.Message(payload)
	return true
}

// FrameControl answers pings and stops at a close frame. Pongs need
// nothing: any bytes count as a sign of life (consume).
func (s *sink) FrameControl(op wsproto.Opcode, payload []byte) bool {
	c := (*Conn)(s)
	switch op {
	case wsproto.OpPing:
		if !c.closing.Load() {
			c.sendControl(wsproto.OpPong, payload)
		}
		return true
	case wsproto.OpClose:
		c.peerEnd = peerClose(payload)
		return false
	}
	return true
}

// peerClose is how the read side ends on the client's close frame: echo
// its code (RFC 6455 §5.5.1; the tracker sends nothing more when it began
// the handshake itself), or fail the connection when the frame is
// malformed.
func peerClose(payload []byte) readEnd {
	code, err := wsproto.ParseClosePayload(payload)
	if err != nil {
		return readEnd{reason: CloseReadError, sendClose: true, code: err.Code, text: err.Text}
	}
	return readEnd{reason: CloseClient, sendClose: true, code: code}
}

// readError classifies the error that ended reading. The end of the stream
// between messages is the client leaving; anything else is a read error.
func (c *Conn) readError(err error) readEnd {
	if errors.Is(err, io.EOF) && !c.fr.MidMessage() {
		return readEnd{reason: CloseClient}
	}
	return readEnd{reason: CloseReadError}
}

// readBufPool holds the buffers of the fallback's blocking reads. They are
// small: a blocked reader holds one for as long as its connection is idle,
// and longer messages are simply read in several pieces.
var readBufPool = sync.Pool{New: func() any {
	b := make([]byte, 4096)
	return &b
}}

// readLoop is the fallback read side: it blocks in Read until the
// connection ends, then finishes it.
func (c *Conn) readLoop() {
	bp := readBufPool.Get().(*[]byte)
	end := c.readBlocking(*bp)
	readBufPool.Put(bp)
	c.rmu.Lock()
	c.finish(end)
	c.rmu.Unlock()
}

func (c *Conn) readBlocking(buf []byte) readEnd {
	for {
		n, err := c.nc.Read(buf)
		if n > 0 {
			c.rmu.Lock()
			end, more := c.consume(buf[:n])
			c.rmu.Unlock()
			if !more {
				return end
			}
		}
		if err != nil {
			c.rmu.Lock()
			end := c.readError(err)
			c.rmu.Unlock()
			return end
		}
	}
}

// Start serves a registered connection: its timer, the bytes that came
// with the handshake (pipelined, from Upgrade), then its read side, on a
// poller or its own goroutine. The Session may be called before Start
// returns.
func (c *Conn) Start(pipelined []byte) {
	c.armTimer()
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if len(pipelined) > 0 {
		if end, more := c.consume(pipelined); !more {
			c.finish(end)
			return
		}
	}
	if c.poll != nil {
		err := c.poll.add(c)
		if err == nil {
			c.polled = true
			if c.sock != nil {
				c.startTLS()
			}
			return
		}
		// Still served, by a reader goroutine. abort's shutdown ends its
		// blocking reads as well.
		c.e.log.Warn().Err(err).Msg("epoll registration failed: serving the WebSocket with a goroutine")
	}
	go c.readLoop()
}
