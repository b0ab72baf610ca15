package engine

import (
	"crypto/tls"
	"net"
	"sync"
	"time"

	"github.com/swarmbridge/swarmbridge/signaling/wsproto"
)

// The write side of a connection. Frames for a connection come from any
// goroutine (its own read side, other connections' read sides relaying
// offers and answers, the keepalive timer, Shutdown), go to one bounded
// queue, and leave in the order they were queued, one writer at a time:
//
//   - Enqueueing never blocks: a full queue closes the connection as a slow
//     consumer, so one stalled peer cannot stall the peers that send to it.
//   - Whoever flushes a queue that no writer is at becomes the writer: it
//     writes a lone frame without blocking when the socket takes it (plain
//     TCP on Linux), which is almost always, and is done. The relay flushes
//     the frames a client message caused once it has handled it.
//   - A polled TLS connection's writer encrypts what is queued and writes
//     it without blocking too: its socket keeps what it does not take
//     (tlssock.go), and only then is a writer goroutine needed, to drain it.
//   - Anything else (a frame the socket did not take, several frames, TLS
//     that is not polled) goes to a writer goroutine that exists only while
//     frames wait. It writes all that is queued with one system call.
//
// Frames are never sent while a store lock is held: Swarms returns its
// picks, then the relay enqueues.

// CloseWait bounds a close handshake: how long the tracker waits for the
// client's close frame after sending its own, and how long a writer may
// still spend on the close frame once the connection is over.
const CloseWait = 2 * time.Second

// aLongTimeAgo is a deadline that makes blocked I/O fail at once.
var aLongTimeAgo = time.Unix(1, 0)

// outFrame is a frame ready for the wire: (*buf)[off:].
type outFrame struct {
	buf *[]byte
	off int
}

func (f outFrame) bytes() []byte { return (*f.buf)[f.off:] }

// Outcome is what Enqueue did with a frame.
type Outcome uint8

const (
	// Queued: the frame waits; a writer is at work and will send it.
	Queued Outcome = iota + 1
	// QueuedIdle: the frame waits and no writer is at work: the caller
	// must Flush (after queueing whatever else goes with it).
	QueuedIdle
	// DropGone: not queued, the connection is closing or closed.
	DropGone
	// DropFull: not queued, the send queue was full; the connection is
	// being closed as a slow consumer.
	DropFull
)

// Enqueue queues a text message, encoded behind the Headroom of a buffer
// from NewFrame, and takes the buffer over whatever the outcome. It never
// blocks; see Outcome. Frames leave in the order they were queued.
func (c *Conn) Enqueue(f *[]byte) Outcome {
	return c.enqueue(f, wsproto.OpText, true)
}

// sendControl sends a ping or pong with payload right away. Pongs count
// against the queue's bounds (a client can send pings without reading);
// the tracker's own pings, at most one per PingInterval, do not.
func (c *Conn) sendControl(op wsproto.Opcode, payload []byte) {
	f := NewFrame()
	*f = append(*f, payload...)
	if c.enqueue(f, op, op != wsproto.OpPing) == QueuedIdle {
		c.Flush()
	}
}

// enqueue queues a frame, encoded behind NewFrame's headroom, and takes
// ownership of it. Frames that are not counted (the tracker's own pings)
// do not count against the queue's bounds.
func (c *Conn) enqueue(f *[]byte, op wsproto.Opcode, counted bool) Outcome {
	size := len(*f) - Headroom
	fr := outFrame{buf: f, off: wsproto.PutServerHeader(*f, op)}
	c.mu.Lock()
	if c.reason != closeReasonNone || c.done {
		c.mu.Unlock()
		FreeFrame(f)
		return DropGone
	}
	if counted && (int(c.queuedFrames) >= c.e.cfg.SendQueueLen || int(c.queuedBytes)+size > c.e.cfg.SendQueueBytes) {
		c.mu.Unlock()
		FreeFrame(f)
		c.Close(CloseSlowConsumer)
		return DropFull
	}
	c.queue = append(c.queue, fr)
	if counted {
		c.queuedFrames++
		c.queuedBytes += int32(size)
	}
	idle := !c.writing
	c.mu.Unlock()
	if idle {
		return QueuedIdle
	}
	return Queued
}

// Flush writes what is queued unless a writer is at it already: the caller
// becomes the writer. It writes at most one frame itself, and only if the
// socket takes it at once; anything else goes to a writer goroutine.
func (c *Conn) Flush() {
	c.mu.Lock()
	if c.writing || c.done || len(c.queue) == 0 {
		c.mu.Unlock()
		return
	}
	c.writing = true
	batch := c.takeLocked()
	c.mu.Unlock()
	c.write(batch)
}

// write is the turn of a caller that became the writer: it writes a single
// frame without blocking if the socket takes it, which is almost always;
// the rest, or a batch, it leaves to a writer goroutine.
func (c *Conn) write(batch []outFrame) {
	if c.sock != nil {
		c.writeTLS(batch)
		return
	}
	if c.inline && len(batch) == 1 {
		fr := &batch[0]
		b := fr.bytes()
		n, err := writeNonblock(c.raw, b)
		switch {
		case err != nil:
			c.recycle(batch)
			c.failWrite()
			c.writerDone()
			return
		case n == len(b):
			c.recycle(batch)
			c.writerDone()
			return
		}
		fr.off += n
	}
	go c.writeLoop(batch)
}

// writeTLS is write for a polled TLS connection: crypto/tls encrypts the
// batch and the socket takes it or keeps the rest, without blocking; a
// writer goroutine drains what it keeps.
func (c *Conn) writeTLS(batch []outFrame) {
	err := c.writeBatch(batch)
	c.recycle(batch)
	if err != nil {
		c.failWrite()
	}
	c.writerDone()
}

// kickWriter starts a writer goroutine for what a TLS socket keeps, when
// no writer is at work (crypto/tls wrote on its own, on the read side).
func (c *Conn) kickWriter() {
	c.mu.Lock()
	if c.writing || c.readDone || c.writeFailed {
		c.mu.Unlock()
		return
	}
	c.writing = true
	c.mu.Unlock()
	go c.writeLoop(nil)
}

// backloggedLocked reports whether a TLS socket keeps bytes that a writer
// must drain.
func (c *Conn) backloggedLocked() bool {
	return c.sock != nil && !c.writeFailed && c.sock.backlogged()
}

// writerDone ends a writer's turn. Frames queued meanwhile, or bytes a TLS
// socket keeps, get a writer goroutine; otherwise, when the read side has
// finished, the last one out closes the socket.
func (c *Conn) writerDone() {
	c.mu.Lock()
	if batch := c.takeLocked(); len(batch) > 0 || c.backloggedLocked() {
		c.mu.Unlock()
		go c.writeLoop(batch)
		return
	}
	c.writing = false
	last := c.readDone
	c.mu.Unlock()
	if last {
		c.finalize()
	}
}

// writeLoop writes batch, then everything queued until the queue is empty,
// blocking as the socket requires, then exits; the next flush starts a new
// one if frames wait again. On a polled TLS connection it first drains
// what the socket keeps, and writes nothing else meanwhile.
func (c *Conn) writeLoop(batch []outFrame) {
	for {
		var err error
		if c.sock != nil {
			err = c.sock.drain()
		}
		if err == nil {
			err = c.writeBatch(batch)
		}
		if err == nil && c.sock != nil {
			err = c.sock.drain()
		}
		c.recycle(batch)
		if err != nil {
			c.failWrite()
		}
		c.mu.Lock()
		batch = c.takeLocked()
		if len(batch) == 0 && !c.backloggedLocked() {
			c.writing = false
			last := c.readDone
			c.mu.Unlock()
			if last {
				c.finalize()
			}
			return
		}
		c.mu.Unlock()
	}
}

// recycle gives a written batch's buffers back and keeps the slice.
func (c *Conn) recycle(batch []outFrame) {
	if batch == nil {
		return
	}
	for i := range batch {
		FreeFrame(batch[i].buf)
		batch[i] = outFrame{}
	}
	c.mu.Lock()
	c.spare = batch[:0]
	c.mu.Unlock()
}

// takeLocked hands the writer what it writes next: the queue, or once the
// connection is closing (which empties the queue for good), the close frame.
func (c *Conn) takeLocked() []outFrame {
	switch {
	case c.writeFailed:
		return nil
	case len(c.queue) > 0:
		b := c.queue
		c.queue, c.spare = c.spare[:0], nil
		c.queuedFrames, c.queuedBytes = 0, 0
		return b
	case c.closeFrame.buf != nil:
		b := append(c.spare[:0], c.closeFrame)
		c.spare = nil
		c.closeFrame = outFrame{}
		return b
	}
	return nil
}

// buffersPool recycles the slices writeBatch hands to writev.
var buffersPool = sync.Pool{New: func() any { return new(net.Buffers) }}

// writeBatch writes frames with one system call: writev on a TCP socket; on
// TLS, one buffer, so that they go out in as few records as they fit.
func (c *Conn) writeBatch(batch []outFrame) error {
	switch len(batch) {
	case 0:
		return nil
	case 1:
		_, err := c.nc.Write(batch[0].bytes())
		return err
	}
	if _, ok := c.nc.(*tls.Conn); ok {
		b := getBuf()
		for _, f := range batch {
			*b = append(*b, f.bytes()...)
		}
		_, err := c.nc.Write(*b)
		FreeFrame(b)
		return err
	}
	bp := buffersPool.Get().(*net.Buffers)
	bufs := (*bp)[:0]
	for _, f := range batch {
		bufs = append(bufs, f.bytes())
	}
	*bp = bufs
	_, err := bp.WriteTo(c.nc) // consumes *bp
	clear(bufs)
	*bp = bufs[:0]
	buffersPool.Put(bp)
	return err
}

// failWrite gives up on a socket that cannot be written: nothing more is
// sent, and the socket is dropped so the read side ends the connection.
func (c *Conn) failWrite() {
	c.mu.Lock()
	c.writeFailed = true
	if c.reason == closeReasonNone {
		c.reason = CloseWriteError
	}
	c.closing.Store(true)
	c.dropQueueLocked()
	c.mu.Unlock()
	c.abort()
}

func (c *Conn) dropQueueLocked() {
	for i, f := range c.queue {
		FreeFrame(f.buf)
		c.queue[i] = outFrame{}
	}
	c.queue = c.queue[:0]
	c.queuedFrames, c.queuedBytes = 0, 0
	if c.closeFrame.buf != nil {
		FreeFrame(c.closeFrame.buf)
		c.closeFrame = outFrame{}
	}
}

// Close starts closing the connection with the close code for reason, and
// gives the client CloseWait to answer. It never blocks, so it is safe to
// call from any goroutine; once the connection is ending it does nothing.
func (c *Conn) Close(reason CloseReason) {
	code, text := reason.status()
	// The tracker's own reasons drop what is queued: a full queue is the
	// reason itself for a slow consumer, and the others end the
	// connection whatever the client was still to get.
	if c.startClose(reason, code, text, false) {
		c.armCloseWait()
	}
}

// startClose begins closing for reason unless the connection is already
// ending: no more frames are accepted, and a close frame of code and text
// goes out after what is being written. Frames queued but not yet being
// written go out before it when keepQueue is set, and are dropped
// otherwise. It reports whether it began.
func (c *Conn) startClose(reason CloseReason, code uint16, text string, keepQueue bool) bool {
	f := NewFrame()
	*f = wsproto.AppendClosePayload(*f, code, text)
	fr := outFrame{buf: f, off: wsproto.PutServerHeader(*f, wsproto.OpClose)}
	c.mu.Lock()
	if c.reason != closeReasonNone || c.done {
		c.mu.Unlock()
		FreeFrame(f)
		return false
	}
	c.reason = reason
	c.closing.Store(true)
	if !keepQueue {
		c.dropQueueLocked()
	}
	c.closeFrame = fr // takeLocked hands it out once the queue is empty
	if c.writing {
		c.mu.Unlock()
		return true
	}
	c.writing = true
	batch := c.takeLocked()
	c.mu.Unlock()
	c.write(batch)
	return true
}

// abort drops the socket without waiting for anything: a blocked write
// fails, and the read side sees the stream end and finishes the
// connection. It is safe to call at any time, also after the socket is
// closed.
func (c *Conn) abort() {
	_ = c.nc.SetWriteDeadline(aLongTimeAgo)
	if c.poll != nil {
		// A poller only hears of the socket while it is open: shut it
		// down rather than close it, and epoll reports the end.
		shutdownSocket(c.raw)
		return
	}
	if tc, ok := c.nc.(*tls.Conn); ok {
		// Closing the TLS connection would first try to send an alert.
		_ = tc.NetConn().Close()
		return
	}
	_ = c.nc.Close()
}
