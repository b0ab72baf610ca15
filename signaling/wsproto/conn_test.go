package wsproto

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// The client Conn against a scripted server over net.Pipe: what it
// returns for each server frame, and which frames it sends back, read as
// the tracker reads them (FrameReader).

// pipeServer is the server end of a Conn over net.Pipe.
type pipeServer struct {
	cli, srv  net.Conn
	start     chan struct{} // closed when the server starts reading
	startOnce sync.Once
	wg        sync.WaitGroup
	got       allSink // what the client sent, once the client's end is closed
	err       *ProtocolError
}

// allSink records every event, close frames included, without stopping.
type allSink struct{ events []tfEvent }

func (s *allSink) FrameMessage(op Opcode, p []byte) bool {
	s.events = append(s.events, tfEvent{op: op, payload: string(p)})
	return true
}

func (s *allSink) FrameControl(op Opcode, p []byte) bool {
	s.events = append(s.events, tfEvent{op: op, payload: string(p)})
	return true
}

func (s *allSink) String() string { return (&tfSink{events: s.events}).String() }

// newPipe returns a Conn that reads stream, as the server sends it. With
// readNow false the server reads nothing of what the client writes until
// read is called.
func newPipe(t *testing.T, stream []byte, max uint64, readNow bool) (*Conn, *pipeServer) {
	t.Helper()
	cli, srv := net.Pipe()
	p := &pipeServer{cli: cli, srv: srv, start: make(chan struct{})}
	if len(stream) > 0 {
		p.wg.Go(func() { _, _ = srv.Write(stream) }) // ends when read, or when the client's end closes
	}
	p.wg.Go(func() {
		<-p.start
		var r FrameReader
		defer r.Release()
		buf := make([]byte, 512)
		for {
			n, err := srv.Read(buf)
			if p.err == nil {
				p.err = r.feed(buf[:n], 1<<20, &p.got)
			}
			if err != nil {
				return
			}
		}
	})
	if readNow {
		p.read()
	}
	t.Cleanup(func() { _ = p.sent() })
	return &Conn{nc: cli, br: bufio.NewReaderSize(cli, 16), key: 1, maxMessage: max}, p
}

func (p *pipeServer) read() { p.startOnce.Do(func() { close(p.start) }) }

// sent closes the client's end and returns what the client sent.
func (p *pipeServer) sent() string {
	p.read()
	_ = p.cli.Close()
	p.wg.Wait()
	_ = p.srv.Close()
	if p.err != nil {
		return "error: " + p.err.Error()
	}
	return p.got.String()
}

// sf encodes a server frame: unmasked.
func sf(fin bool, op Opcode, payload string) []byte {
	return tfEncode(tfFrame{fin: fin, op: op, payload: []byte(payload), unmask: true})
}

func cat(frames ...[]byte) []byte { return bytes.Join(frames, nil) }

func TestConnKeepsTheServersCloseCodeAndReason(t *testing.T) {
	for _, tc := range []struct {
		name, payload string
		code          uint16
		reason, echo  string
	}{
		{"code and reason", "\x0f\xa0going away, ünïcode", 4000, "going away, ünïcode", "\x0f\xa0"},
		{"code only", "\x03\xe9", 1001, "", "\x03\xe9"},
		{"no code", "", 0, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, srv := newPipe(t, sf(true, OpClose, tc.payload), 1<<20, true)
			_, err := c.ReadMessage()
			var ce *CloseError
			if !errors.As(err, &ce) || ce.Code != tc.code || ce.Reason != tc.reason {
				t.Fatalf("got %v, want a CloseError %d %q", err, tc.code, tc.reason)
			}
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("%v does not match ErrClosed", err)
			}
			// The close frame was answered: nothing more may be sent.
			if err := c.WriteFrame(OpText, append(make([]byte, MaxClientHeader), "late"...)); !errors.Is(err, ErrCloseSent) {
				t.Fatalf("a message after the close: %v, want ErrCloseSent", err)
			}
			if err := c.WriteControl(OpClose, []byte{0x03, 0xe8}); !errors.Is(err, ErrCloseSent) {
				t.Fatalf("a second close frame: %v, want ErrCloseSent", err)
			}
			if got, want := srv.sent(), (tfEvent{op: OpClose, payload: tc.echo}).String(); got != want {
				t.Fatalf("the client sent %s, want %s", got, want)
			}
		})
	}
}

// After the client's own close frame, neither a ping nor the server's
// close is answered: one close frame, nothing after it.
func TestConnSendsNothingAfterItsCloseFrame(t *testing.T) {
	c, srv := newPipe(t, cat(sf(true, OpPing, "p"), sf(true, OpClose, "\x03\xe8")), 1<<20, true)
	if err := c.WriteControl(OpClose, []byte{0x03, 0xe8}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadMessage(); !errors.Is(err, ErrClosed) {
		t.Fatalf("got %v, want the server's close", err)
	}
	if got := srv.sent(); got != `ctl8("\x03\xe8")` {
		t.Fatalf("the client sent %s, want its close frame alone", got)
	}
}

// Every violation of RFC 6455 by the server is answered with a close
// frame of the right code and text, and returned.
func TestConnFailsBadFramesWithTheRightCode(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stream []byte
		max    uint64
		code   uint16
		text   string
	}{
		{"masked frame", tfEncode(tfText("x")), 1 << 20, CloseProtocolError, "masked frame from the server"},
		{"reserved bits", []byte{0xC1, 0x01, 'x'}, 1 << 20, CloseProtocolError, "reserved bits set"},
		{"unknown opcode", []byte{0x83, 0x00}, 1 << 20, CloseProtocolError, "unknown opcode"},
		{"orphan continuation", sf(true, OpContinuation, "x"), 1 << 20, CloseProtocolError, "continuation frame without a message"},
		{"message inside a message", cat(sf(false, OpText, "a"), sf(true, OpText, "b")), 1 << 20, CloseProtocolError, "new message inside a fragmented one"},
		{"long ping", []byte{0x89, 126, 0, 200}, 1 << 20, CloseProtocolError, "control frame too long"},
		{"close code 999", sf(true, OpClose, "\x03\xe7"), 1 << 20, CloseProtocolError, "invalid close code"},
		{"close payload of one byte", sf(true, OpClose, "\x03"), 1 << 20, CloseProtocolError, "close frame payload of one byte"},
		{"close reason not UTF-8", sf(true, OpClose, "\x03\xe8\xff"), 1 << 20, CloseInvalidPayload, "close reason not UTF-8"},
		{"message too big", sf(true, OpText, "eleven byte"), 10, CloseMessageTooBig, "message too big"},
		{"fragments too big", cat(sf(false, OpBinary, "sixsix"), sf(true, OpContinuation, "sixsix")), 10, CloseMessageTooBig, "message too big"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, srv := newPipe(t, tc.stream, tc.max, true)
			_, err := c.ReadMessage()
			var pe *ProtocolError
			if !errors.As(err, &pe) || pe.Code != tc.code || pe.Text != tc.text {
				t.Fatalf("got %v, want a ProtocolError %d %q", err, tc.code, tc.text)
			}
			if errors.Is(err, ErrClosed) {
				t.Fatalf("%v matches ErrClosed: the server sent no close frame", err)
			}
			if tc.code == CloseMessageTooBig && !errors.Is(err, ErrTooBig) {
				t.Fatalf("%v is not ErrTooBig", err)
			}
			if err := c.WriteFrame(OpText, make([]byte, MaxClientHeader)); !errors.Is(err, ErrCloseSent) {
				t.Fatalf("a message after failing: %v, want ErrCloseSent", err)
			}
			want := tfEvent{op: OpClose, payload: string(AppendClosePayload(nil, tc.code, tc.text))}
			if got := srv.sent(); got != want.String() {
				t.Fatalf("the client sent %s, want %s", got, want)
			}
		})
	}
}

// ReadMessageOp says text or binary (the first frame's opcode), for
// messages read in place and reassembled alike; pings between fragments
// are answered.
func TestConnReadMessageOp(t *testing.T) {
	long := strings.Repeat("b", 40) // longer than the 16-byte read buffer
	c, srv := newPipe(t, cat(
		sf(true, OpText, "text"),
		sf(true, OpBinary, "bin"),
		sf(false, OpBinary, long[:20]), sf(true, OpPing, "hi"), sf(true, OpPong, "ignored"), sf(true, OpContinuation, long[20:]),
		sf(true, OpText, long),
	), 1<<20, true)
	for _, want := range []tfEvent{{OpText, "text"}, {OpBinary, "bin"}, {OpBinary, long}, {OpText, long}} {
		op, msg, err := c.ReadMessageOp()
		if err != nil || op != want.op || string(msg) != want.payload {
			t.Fatalf("got %v %q %v, want %s", op, msg, err, want)
		}
	}
	if got, want := srv.sent(), (tfEvent{op: OpPong, payload: "hi"}).String(); got != want {
		t.Fatalf("the client sent %s, want the pong", got)
	}
}

// With ControlWriteTimeout, a pong the server does not take within it is
// skipped, and reading goes on: the stream is intact.
func TestConnSkipsAPongTheServerDoesNotTake(t *testing.T) {
	c, srv := newPipe(t, cat(sf(true, OpPing, "p"), sf(true, OpText, "after")), 1<<20, false)
	c.controlWrite = 50 * time.Millisecond
	if msg, err := c.ReadMessage(); err != nil || string(msg) != "after" {
		t.Fatalf("got %q %v, want the message after the ping", msg, err)
	}
	if got := srv.sent(); got != "" {
		t.Fatalf("the client sent %s, want nothing", got)
	}
}

// WriteFrameContext gives up when its context ends, and sends nothing
// once it has.
func TestConnWriteFrameContext(t *testing.T) {
	c, srv := newPipe(t, nil, 1<<20, false)
	frame := func(s string) []byte { return append(make([]byte, MaxClientHeader), s...) }
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	// The server does not read: the write waits for the deadline.
	if n, err := c.WriteFrameContext(ctx, OpText, frame("stuck")); n != 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a write nobody reads: %d bytes, %v; want DeadlineExceeded", n, err)
	}
	cancelled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if n, err := c.WriteFrameContext(cancelled, OpText, frame("never")); n != 0 || !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled context: %d bytes, %v", n, err)
	}
	srv.read()
	ok, cancel3 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel3()
	if n, err := c.WriteFrameContext(ok, OpBinary, frame("sent")); n != 6+4 || err != nil {
		t.Fatalf("a write the server reads: %d bytes, %v; want 10", n, err)
	}
	if got := srv.sent(); got != `binary("sent")` {
		t.Fatalf("the server read %s", got)
	}
}
