package wsproto

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Conn is a minimal blocking client connection: enough for a load
// generator or a tracker client, and cheap. Messages are built by the
// caller straight into a frame buffer with MaxClientHeader bytes of
// headroom, masked in place and written with one system call. Reads go
// through a bufio.Reader; a message that fits in it is returned in place,
// without a copy.
//
// One goroutine reads (ReadMessage); any number may write (WriteFrame,
// WriteControl), one at a time. Masking keys come from a fast generator
// seeded from crypto/rand: they keep intermediaries from reading frames as
// something else, which needs no cryptographic strength from a client that
// is not a browser running untrusted scripts.
type Conn struct {
	nc net.Conn
	br *bufio.Reader

	wmu sync.Mutex
	key uint64 // masking key generator state (xorshift64), guarded by wmu

	maxMessage uint64
	msg        []byte // a fragmented message, reassembled
	ctrl       []byte // a control frame's payload
	discard    int    // bytes of br to drop before the next read
}

// DialOptions are Dial's options; the zero value is fine.
type DialOptions struct {
	// LocalAddr is the local address to dial from (nil: any).
	LocalAddr net.Addr
	// Header is sent with the handshake request (Origin, User-Agent, …).
	Header http.Header
	// ReadBufferSize is the size of the read buffer; messages that fit in
	// it are returned without a copy. Default 4096.
	ReadBufferSize int
	// MaxMessageSize bounds one frame and one message. Default 64 MiB.
	MaxMessageSize int64
	// TLSConfig configures wss:// connections. Nil uses the defaults
	// (system roots, ServerName from the URL); a config without a
	// ServerName gets the URL's host name.
	TLSConfig *tls.Config
}

// ErrClosed is returned by ReadMessage when the server closed the
// connection with a close frame (after answering it).
var ErrClosed = errors.New("wsproto: connection closed by the server")

// errHandshake wraps every handshake failure.
var errHandshake = errors.New("wsproto: handshake")

// Dial connects to the ws:// or wss:// URL u and performs the TLS (for
// wss://) and WebSocket opening handshakes; ctx bounds them all.
func Dial(ctx context.Context, u *url.URL, opts DialOptions) (*Conn, error) {
	var port string
	switch u.Scheme {
	case "ws":
		port = "80"
	case "wss":
		port = "443"
	default:
		return nil, fmt.Errorf("%w: unsupported scheme %q, want ws or wss", errHandshake, u.Scheme)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), port)
	}
	d := net.Dialer{LocalAddr: opts.LocalAddr}
	nc, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, fmt.Errorf("wsproto: dial: %w", err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	if u.Scheme == "wss" {
		cfg := opts.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			cfg = cfg.Clone()
			cfg.ServerName = u.Hostname()
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return nil, fmt.Errorf("wsproto: TLS handshake: %w", err)
		}
		nc = tc
	}
	c, err := handshake(ctx, nc, u, opts)
	if err != nil {
		_ = nc.Close()
		return nil, err
	}
	return c, nil
}

func handshake(ctx context.Context, nc net.Conn, u *url.URL, opts DialOptions) (*Conn, error) {
	// The handshake is blocking I/O on nc: ctx ends it through deadlines.
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	var seed [16 + 8]byte
	_, _ = rand.Read(seed[:])
	key := base64.StdEncoding.EncodeToString(seed[:16])
	var req strings.Builder
	req.WriteString("GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
		"\r\nSec-WebSocket-Version: 13\r\n")
	for name, vs := range opts.Header {
		for _, v := range vs {
			req.WriteString(name + ": " + v + "\r\n")
		}
	}
	req.WriteString("\r\n")
	if _, err := io.WriteString(nc, req.String()); err != nil {
		return nil, fmt.Errorf("%w: %w", errHandshake, err)
	}
	size := opts.ReadBufferSize
	if size <= 0 {
		size = 4096
	}
	br := bufio.NewReaderSize(nc, size)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errHandshake, err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return nil, fmt.Errorf("%w: HTTP %d", errHandshake, resp.StatusCode)
	}
	var want [28]byte
	if resp.Header.Get("Sec-WebSocket-Accept") != string(AppendAcceptKey(want[:0], key)) ||
		!strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") {
		return nil, fmt.Errorf("%w: bad Sec-WebSocket-Accept or Upgrade", errHandshake)
	}
	// Once stop reports the context callback did not run, it never will:
	// only then may the deadline be cleared, or a context ending right now
	// could leave a past deadline on the connection handed back.
	if !stop() || ctx.Err() != nil {
		return nil, fmt.Errorf("%w: %w", errHandshake, context.Cause(ctx))
	}
	_ = nc.SetDeadline(time.Time{})
	max := opts.MaxMessageSize
	if max <= 0 {
		max = 64 << 20
	}
	k := binary.LittleEndian.Uint64(seed[16:]) | 1 // xorshift needs a non-zero state
	return &Conn{nc: nc, br: br, key: k, maxMessage: uint64(max)}, nil
}

// NetConn returns the underlying connection, e.g. to set deadlines.
func (c *Conn) NetConn() net.Conn { return c.nc }

// Close closes the connection without a close handshake.
func (c *Conn) Close() error { return c.nc.Close() }

// WriteFrame sends b[MaxClientHeader:] as one final, masked frame of
// opcode op. The payload is masked in place, so b cannot be sent again.
func (c *Conn) WriteFrame(op Opcode, b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.key ^= c.key << 13
	c.key ^= c.key >> 7
	c.key ^= c.key << 17
	off := PutClientFrame(b, op, uint32(c.key))
	_, err := c.nc.Write(b[off:])
	return err
}

// WriteControl sends a control frame (ping, pong, close) with payload,
// which must be at most MaxControlPayload bytes.
func (c *Conn) WriteControl(op Opcode, payload []byte) error {
	if len(payload) > MaxControlPayload {
		return errControlTooLong
	}
	var buf [MaxClientHeader + MaxControlPayload]byte
	b := append(buf[:MaxClientHeader], payload...)
	return c.WriteFrame(op, b)
}

// ReadMessage returns the next data message, text or binary. The slice is
// valid until the next call. Pings are answered and pongs ignored; a close
// frame is answered with the same code and ReadMessage returns ErrClosed.
func (c *Conn) ReadMessage() ([]byte, error) {
	if c.discard > 0 {
		_, _ = c.br.Discard(c.discard)
		c.discard = 0
	}
	c.msg = c.msg[:0]
	fragmented := false
	for {
		h, err := c.readHeader()
		if err != nil {
			return nil, err
		}
		if h.Op.IsControl() {
			if err := c.control(h); err != nil {
				return nil, err
			}
			continue
		}
		switch {
		case h.Op == OpContinuation && !fragmented:
			return nil, errContinuation
		case h.Op != OpContinuation && fragmented:
			return nil, errNotContinuation
		case h.Length+uint64(len(c.msg)) > c.maxMessage:
			return nil, ErrTooBig
		}
		n := int(h.Length)
		// A whole message in one frame that fits the read buffer is
		// returned in place.
		if h.Fin && !fragmented && n <= c.br.Size() {
			p, err := c.br.Peek(n)
			if err != nil {
				return nil, fmt.Errorf("wsproto: reading a frame: %w", err)
			}
			if h.Masked {
				Mask(h.Key, p)
			}
			c.discard = n
			return p, nil
		}
		fragmented = true
		start := len(c.msg)
		c.msg = append(c.msg, make([]byte, n)...)
		if _, err := io.ReadFull(c.br, c.msg[start:]); err != nil {
			return nil, fmt.Errorf("wsproto: reading a frame: %w", err)
		}
		if h.Masked {
			Mask(h.Key, c.msg[start:])
		}
		if h.Fin {
			return c.msg, nil
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
		return Header{}, fmt.Errorf("wsproto: reading a frame header: %w", err)
	}
	h, n, perr := ParseHeader(b, false)
	if perr != nil {
		return Header{}, perr
	}
	_, _ = c.br.Discard(n)
	return h, nil
}

// control reads a control frame's payload and answers it.
func (c *Conn) control(h Header) error {
	c.ctrl = append(c.ctrl[:0], make([]byte, h.Length)...)
	if _, err := io.ReadFull(c.br, c.ctrl); err != nil {
		return fmt.Errorf("wsproto: reading a control frame: %w", err)
	}
	if h.Masked {
		Mask(h.Key, c.ctrl)
	}
	switch h.Op {
	case OpPing:
		return c.WriteControl(OpPong, c.ctrl)
	case OpClose:
		var echo []byte
		if len(c.ctrl) >= 2 {
			echo = c.ctrl[:2]
		}
		_ = c.WriteControl(OpClose, echo)
		return ErrClosed
	}
	return nil
}
