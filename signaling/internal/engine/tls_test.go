package engine_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/swarmbridge/swarmbridge/signaling/internal/engine"
	"github.com/swarmbridge/swarmbridge/signaling/wsproto"
)

// The TLS poll path: wss:// connections of NewTLSListener are read by the
// pollers through crypto/tls, whose reads there never block and whose
// writes never fail half-way (tlssock.go). The tests that run on every
// path (engine_test.go) cover it too: order, a full send queue.

func skipWithoutPollers(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("pollers are Linux-only")
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// An idle wss:// connection costs no goroutine: fifty of them add none,
// once net/http's goroutines of their handshakes are gone, and every one
// still answers.
func TestIdleTLSConnectionsCostNoGoroutine(t *testing.T) {
	skipWithoutPollers(t)
	srv := newServer(t, engine.Config{}, tlsPollers, false)
	first, ss := srv.dial(t) // starts the pollers
	echo(t, first, "first")
	if !engine.Polled(ss.c) {
		t.Fatal("a TLS connection of NewTLSListener is not polled")
	}
	waitFor(t, "the handshake's goroutine to end", func() bool { return runtime.NumGoroutine() < 20 })
	before := runtime.NumGoroutine()
	const n = 50
	conns := make([]*wsproto.Conn, n)
	for i := range conns {
		conns[i], _ = srv.dial(t)
	}
	waitFor(t, "the handshakes' goroutines to end", func() bool { return runtime.NumGoroutine()-before < 3 })
	for i, c := range conns {
		echo(t, c, "still there "+strconv.Itoa(i))
	}
}

// echo sends msg and expects it back.
func echo(t *testing.T, c *wsproto.Conn, msg string) {
	t.Helper()
	send(t, c, msg)
	got, err := c.ReadMessage()
	if err != nil || string(got) != msg {
		t.Fatalf("echo of %q: %q %v", msg, got, err)
	}
}

// Messages of every size, from a byte to several TLS records, arrive in
// order both ways.
func TestTLSMessagesOfEverySizeInOrder(t *testing.T) {
	srv := newServer(t, engine.Config{}, tlsPollers, false)
	c, ss := srv.dial(t)
	var msgs []string
	for i, size := range []int{1, 100, 1000, 16 << 10, 16<<10 + 1, 40 << 10, 64 << 10, 3, 20000, 5} {
		msgs = append(msgs, strings.Repeat(string(rune('a'+i)), size))
	}
	go func() {
		for _, m := range msgs {
			if err := c.WriteFrame(wsproto.OpText, append(make([]byte, wsproto.MaxClientHeader), m...)); err != nil {
				return
			}
		}
	}()
	for i, m := range msgs {
		got, err := c.ReadMessage()
		if err != nil || string(got) != m {
			t.Fatalf("message %d (%d bytes): got %d bytes, %v", i, len(m), len(got), err)
		}
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.msgs) != len(msgs) {
		t.Fatalf("the session saw %d messages", len(ss.msgs))
	}
}

// dripProxy forwards TCP connections to target; once drip is set, the
// client's bytes go in pieces of size with a pause after each, so that the
// server reads TLS records in parts, split anywhere.
func dripProxy(t *testing.T, target string, size int, drip *atomic.Bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				_ = in.Close()
				return
			}
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, _ = io.Copy(in, out)
				_ = in.Close()
			}()
			go func() {
				defer wg.Done()
				defer out.Close()
				buf := make([]byte, 64<<10)
				for {
					n := len(buf)
					if drip.Load() {
						n = size
					}
					n, err := in.Read(buf[:n])
					if n > 0 {
						if _, err := out.Write(buf[:n]); err != nil {
							return
						}
						if drip.Load() {
							time.Sleep(200 * time.Microsecond)
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// TLS records that arrive in pieces, cut anywhere (record headers, the
// middle of a record's payload), are put together by crypto/tls across the
// poller's reads: crypto/tls keeps a partial record across a read that
// would block. (The handshake comes before the poller takes over; see the
// server's tests for a dripped ClientHello.)
func TestTLSRecordsSplitAcrossReads(t *testing.T) {
	skipWithoutPollers(t)
	srv := newServer(t, engine.Config{}, tlsPollers, false)
	for _, size := range []int{1, 3, 7, 100, 1000} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			u := *srv.u
			var drip atomic.Bool
			u.Host = dripProxy(t, srv.u.Host, size, &drip)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := wsproto.Dial(ctx, &u, wsproto.DialOptions{TLSConfig: srv.tls, ReadBufferSize: 64 << 10})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ss := <-srv.sessions
			if !engine.Polled(ss.c) {
				t.Fatal("not polled")
			}
			_ = c.NetConn().SetDeadline(time.Now().Add(20 * time.Second))
			drip.Store(true)
			msgs := []string{"a", strings.Repeat("b", 300)}
			if size > 1 {
				msgs = append(msgs, strings.Repeat("c", 3000))
			}
			if size >= 100 {
				msgs = append(msgs, strings.Repeat("d", 40<<10))
			}
			for _, m := range msgs {
				echo(t, c, m)
			}
		})
	}
}

// Records that crypto/tls read from the socket together with the upgrade
// request (a client that sends its first frame right behind it, in a
// record of its own) are served at once: epoll would never report them,
// as they are no longer in the socket.
func TestTLSRecordsReadWithTheUpgradeAreServed(t *testing.T) {
	srv := newServer(t, engine.Config{}, tlsPollers, false)
	tcp, err := net.Dial("tcp", srv.u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	cork := &corkConn{Conn: tcp}
	cfg := srv.tls.Clone()
	cfg.ServerName = "127.0.0.1"
	tc := tls.Client(cork, cfg)
	_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	var k [16]byte
	_, _ = rand.Read(k[:])
	req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " +
		base64.StdEncoding.EncodeToString(k[:]) + "\r\n\r\n"
	// Two records, one TCP write.
	cork.hold()
	if _, err := tc.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	frame := append(make([]byte, wsproto.MaxClientHeader), "right behind the request"...)
	off := wsproto.PutClientFrame(frame, wsproto.OpText, 0x01020304)
	if _, err := tc.Write(frame[off:]); err != nil {
		t.Fatal(err)
	}
	if err := cork.release(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(tc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	// The echo: a short unmasked text frame.
	var hdr [2]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil || hdr[0] != 0x81 || hdr[1] > 125 {
		t.Fatalf("the echo's header: %x %v", hdr, err)
	}
	got := make([]byte, hdr[1])
	if _, err := io.ReadFull(br, got); err != nil || string(got) != "right behind the request" {
		t.Fatalf("the frame behind the request: %q %v", got, err)
	}
}

// corkConn holds what is written between hold and release, then writes it
// with one system call.
type corkConn struct {
	net.Conn
	held []byte
	on   bool
}

func (c *corkConn) hold() { c.on = true }

func (c *corkConn) release() error {
	c.on = false
	_, err := c.Conn.Write(c.held)
	c.held = nil
	return err
}

func (c *corkConn) Write(b []byte) (int, error) {
	if c.on {
		c.held = append(c.held, b...)
		return len(b), nil
	}
	return c.Conn.Write(b)
}

// The close handshake over TLS, begun by the client and by the tracker:
// the close frame comes back, the connection ends, and the Session hears
// of it in order, with the reason.
func TestTLSCloseHandshake(t *testing.T) {
	srv := newServer(t, engine.Config{}, tlsPollers, false)
	t.Run("client", func(t *testing.T) {
		c, ss := srv.dial(t)
		echo(t, c, "before")
		if err := c.WriteControl(wsproto.OpClose, []byte{0x03, 0xE8}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ReadMessage(); !errors.Is(err, wsproto.ErrClosed) {
			t.Fatalf("the engine did not echo the close: %v", err)
		}
		if r := closedWith(t, ss); r != engine.CloseClient {
			t.Fatalf("closed for %v, want client", r)
		}
		if _, err := c.ReadMessage(); err == nil {
			t.Fatal("the connection is still open after the close handshake")
		}
		ss.mu.Lock()
		defer ss.mu.Unlock()
		if strings.Join(ss.order, ",") != "finish,closed" {
			t.Fatalf("calls %v", ss.order)
		}
	})
	t.Run("tracker", func(t *testing.T) {
		c, ss := srv.dial(t)
		echo(t, c, "before")
		ss.c.Close(engine.CloseAbuse)
		if _, err := c.ReadMessage(); !errors.Is(err, wsproto.ErrClosed) {
			t.Fatalf("want the tracker's close frame, got %v", err)
		}
		if r := closedWith(t, ss); r != engine.CloseAbuse {
			t.Fatalf("closed for %v, want abuse", r)
		}
	})
}

// A client that does not read fills the socket, then the TLS socket's
// backlog (drained by a writer goroutine), then the send queue: the
// connection is dropped as a slow consumer and no sender ever blocks, also
// while the writer is stuck on the socket. A client that reads late gets
// everything, in order.
func TestTLSSlowReaderGetsEverythingInOrderAndAStuckOneIsDropped(t *testing.T) {
	srv := newServer(t, engine.Config{SendQueueLen: 4096, SendQueueBytes: 64 << 20}, tlsPollers, true)
	c, ss := srv.dial(t)
	const n = 2000 // 20 MB: more than the socket buffers on either side take
	payload := strings.Repeat("z", 10<<10)
	start := time.Now()
	for i := range n {
		f := engine.NewFrame()
		*f = append(*f, strconv.Itoa(i)+":"+payload...)
		if out := ss.c.Enqueue(f); out == engine.QueuedIdle {
			ss.c.Flush()
		} else if out != engine.Queued {
			t.Fatalf("frame %d: %v", i, out)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("queueing %d frames for a client that does not read took %v", n, d)
	}
	// The socket is full: its backlog holds what crypto/tls encrypted, and
	// a writer goroutine waits to drain it.
	if !engine.TLSBacklogged(ss.c) {
		t.Fatal("no backlog while the client does not read")
	}
	time.Sleep(100 * time.Millisecond)
	for i := range n {
		got, err := c.ReadMessage()
		if err != nil || !strings.HasPrefix(string(got), strconv.Itoa(i)+":") || len(got) != len(payload)+len(strconv.Itoa(i))+1 {
			t.Fatalf("frame %d: %.20q (%d bytes) %v", i, got, len(got), err)
		}
	}

	// Now one that never reads.
	c2, ss2 := srv.dial(t)
	_ = c2
	full := false
	for i := 0; i < 100_000 && !full; i++ {
		f := engine.NewFrame()
		*f = append(*f, payload...)
		switch ss2.c.Enqueue(f) {
		case engine.QueuedIdle:
			ss2.c.Flush()
		case engine.DropFull:
			full = true
		case engine.DropGone:
			t.Fatalf("frame %d: DropGone before the queue was full", i)
		}
	}
	if !full {
		t.Fatal("the queue never filled")
	}
	_ = c2.Close()
	if r := closedWith(t, ss2); r != engine.CloseSlowConsumer {
		t.Fatalf("closed for %v, want slow_consumer", r)
	}
}

// crypto/tls's input buffers (the handshake's, the largest record's) are
// let go once the connection is idle, and come back when records do.
func TestTLSBuffersAreReleasedWhenIdle(t *testing.T) {
	skipWithoutPollers(t)
	srv := newServer(t, engine.Config{}, tlsPollers, false)
	c, ss := srv.dial(t)
	if n := engine.TLSBuffered(ss.c); n < 0 {
		t.Fatal("crypto/tls's buffers cannot be found: has tls.Conn changed? See tlsrelease.go")
	}
	// Right after the upgrade the handshake's buffers are gone.
	waitFor(t, "the handshake's buffers to go", func() bool { return engine.TLSBuffered(ss.c) == 0 })
	echo(t, c, strings.Repeat("x", 12<<10))
	if n := engine.TLSBuffered(ss.c); n == 0 {
		t.Fatal("no buffer right after a message")
	}
	start := time.Now()
	waitFor(t, "an idle connection's buffers to go", func() bool { return engine.TLSBuffered(ss.c) == 0 })
	if d := time.Since(start); d > 4*engine.TLSIdleAfter {
		t.Fatalf("buffers went after %v, want about twice %v at most", d, engine.TLSIdleAfter)
	}
	echo(t, c, "and it goes on")
}
