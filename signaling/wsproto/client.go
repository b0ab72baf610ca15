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
// One goroutine reads (ReadMessage, ReadMessageOp): it also answers pings
// and the server's close frame, and fails a frame that breaks RFC 6455
// with a close frame of the right code (1002, 1007 for a close reason
// that is not UTF-8, 1009 for a message over MaxMessageSize) before it
// returns the *ProtocolError. Any number of goroutines may write
// (WriteFrame, WriteFrameContext, WriteControl), one frame at a time; no
// frame follows a close frame, whoever sent it (ErrCloseSent). A caller
// that needs its own order across writes (a request queued, then its
// frame) keeps its own lock around them.
//
// Masking keys come from a fast generator seeded from crypto/rand: they
// keep intermediaries from reading frames as something else, which needs
// no cryptographic strength from a client that is not a browser running
// untrusted scripts.
type Conn struct {
	nc net.Conn
	br *bufio.Reader

	wmu       sync.Mutex
	key       uint64 // masking key generator state (xorshift64), guarded by wmu
	closeSent bool   // guarded by wmu: no frame may follow a close frame

	maxMessage   uint64
	controlWrite time.Duration // DialOptions.ControlWriteTimeout
	msg          []byte        // a fragmented message, reassembled
	ctrl         []byte        // a control frame's payload
	discard      int           // bytes of br to drop before the next read
}

// DialOptions are Dial's options; the zero value is fine.
type DialOptions struct {
	// LocalAddr is the local address to dial from (nil: any).
	LocalAddr net.Addr
	// UserAgent, when set, is sent as the handshake's User-Agent, before
	// Header.
	UserAgent string
	// Header is sent with the handshake request (Origin, User-Agent, …).
	// CR and LF are dropped from names and values, so that a value cannot
	// add a header.
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
	// ControlWriteTimeout, when set, bounds the write of every control
	// frame (pongs and close frames, those the Conn sends on its own and
	// WriteControl's) with a write deadline, so that a server that does
	// not read cannot stall the reader. Zero leaves write deadlines to
	// the caller.
	ControlWriteTimeout time.Duration
}

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
	if opts.UserAgent != "" {
		req.WriteString("User-Agent: " + headerValue(opts.UserAgent) + "\r\n")
	}
	for name, vs := range opts.Header {
		for _, v := range vs {
			req.WriteString(headerValue(name) + ": " + headerValue(v) + "\r\n")
		}
	}
	req.WriteString("\r\n")
	if _, err := io.WriteString(nc, req.String()); err != nil {
		return nil, fmt.Errorf("%w: sending the upgrade request: %w", errHandshake, ctxErr(ctx, err))
	}
	size := opts.ReadBufferSize
	if size <= 0 {
		size = 4096
	}
	br := bufio.NewReaderSize(nc, size)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: reading the upgrade reply: %w", errHandshake, ctxErr(ctx, err))
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		_ = resp.Body.Close()
		return nil, fmt.Errorf("%w: %w", errHandshake, &StatusError{StatusCode: resp.StatusCode, Body: string(body)})
	}
	_ = resp.Body.Close()
	var want [28]byte
	switch {
	case !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket"):
		return nil, fmt.Errorf("%w: %w: Upgrade %q, not websocket", errHandshake, ErrBadHandshakeReply, resp.Header.Get("Upgrade"))
	case resp.Header.Get("Sec-WebSocket-Accept") != string(AppendAcceptKey(want[:0], key)):
		return nil, fmt.Errorf("%w: %w: its Sec-WebSocket-Accept does not answer our key", errHandshake, ErrBadHandshakeReply)
	case resp.Header.Get("Sec-WebSocket-Extensions") != "" || resp.Header.Get("Sec-WebSocket-Protocol") != "":
		return nil, fmt.Errorf("%w: %w: an extension or subprotocol the client did not ask for", errHandshake, ErrBadHandshakeReply)
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
	return &Conn{nc: nc, br: br, key: k, maxMessage: uint64(max), controlWrite: opts.ControlWriteTimeout}, nil
}

// headerValue drops CR and LF so that a header cannot be split.
func headerValue(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r", "", "\n", "").Replace(s)
}

// ctxErr prefers the context's error over the deadline error it caused.
// The socket's deadline is the context's, so the socket may time out a
// moment before the context says it is done.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%w)", cerr, err)
	}
	var ne net.Error
	if dl, ok := ctx.Deadline(); ok && errors.As(err, &ne) && ne.Timeout() && !time.Now().Before(dl) {
		return fmt.Errorf("%w (%w)", context.DeadlineExceeded, err)
	}
	return err
}
