package trackerclient

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/swarmbridge/swarmbridge/signaling/wsproto"
)

// wsConn is one client WebSocket: the opening handshake and RFC 6455
// framing, built from package wsproto's frame primitives. It does not use
// wsproto.Conn because a tracker client must report the code and reason
// of the tracker's close frame, which wsproto.Conn does not keep.
//
// One goroutine reads (readMessage); writers take wmu, which keeps a
// request's registration and its frame in one order (see WSClient).
type wsConn struct {
	nc  net.Conn
	br  *bufio.Reader
	max uint64 // longest message accepted

	wmu       sync.Mutex
	closeSent bool // guarded by wmu: no frame may follow a close frame
}

// controlWriteTimeout bounds the pongs and close frames the client sends
// on its own: a tracker that does not read cannot stall the reader.
const controlWriteTimeout = 5 * time.Second

type wsDialOptions struct {
	tls       *tls.Config
	header    http.Header
	userAgent string
	max       int64
}

// dialWS opens a ws:// or wss:// connection; ctx bounds the TCP, TLS and
// WebSocket handshakes.
func dialWS(ctx context.Context, u *url.URL, o wsDialOptions) (*wsConn, error) {
	host := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "wss" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "wss" {
		cfg := o.tls
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
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		nc = tc
	}
	c := &wsConn{nc: nc, max: uint64(o.max)}
	if err := c.handshake(ctx, u, o); err != nil {
		_ = nc.Close()
		return nil, err
	}
	return c, nil
}

// handshake sends the upgrade request and checks the 101 reply. A refusal
// (403, 429, 503, …) is a *StatusError with the start of its body.
func (c *wsConn) handshake(ctx context.Context, u *url.URL, o wsDialOptions) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = c.nc.SetDeadline(dl)
	}
	// ctx ends the handshake through the deadline; once it is over, the
	// deadline the AfterFunc sets must not land on a connection we return.
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = c.nc.SetDeadline(time.Unix(1, 0))
		close(fired)
	})
	detached := false
	detach := func() (ok bool) {
		detached = true
		if stop() {
			return true
		}
		<-fired
		return false
	}
	defer func() {
		if !detached {
			detach()
		}
	}()

	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	var req strings.Builder
	req.WriteString("GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
		"\r\nSec-WebSocket-Version: 13\r\nUser-Agent: " + headerValue(o.userAgent) + "\r\n")
	for name, vs := range o.header {
		for _, v := range vs {
			req.WriteString(headerValue(name) + ": " + headerValue(v) + "\r\n")
		}
	}
	req.WriteString("\r\n")
	if _, err := io.WriteString(c.nc, req.String()); err != nil {
		return fmt.Errorf("sending the upgrade request: %w", wsCtxErr(ctx, err))
	}
	c.br = bufio.NewReaderSize(c.nc, 8<<10)
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return fmt.Errorf("reading the upgrade reply: %w", wsCtxErr(ctx, err))
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		_ = resp.Body.Close()
		return &StatusError{StatusCode: resp.StatusCode, Body: strings.TrimSpace(string(body))}
	}
	_ = resp.Body.Close()
	var want [28]byte
	switch {
	case !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket"):
		return fmt.Errorf("%w: the upgrade reply has Upgrade %q, not websocket", ErrMalformed, resp.Header.Get("Upgrade"))
	case resp.Header.Get("Sec-WebSocket-Accept") != string(wsproto.AppendAcceptKey(want[:0], key)):
		return fmt.Errorf("%w: the upgrade reply's Sec-WebSocket-Accept does not answer our key", ErrMalformed)
	case resp.Header.Get("Sec-WebSocket-Extensions") != "" || resp.Header.Get("Sec-WebSocket-Protocol") != "":
		return fmt.Errorf("%w: the tracker agreed to an extension or subprotocol the client did not ask for", ErrMalformed)
	}
	if !detach() {
		return ctx.Err()
	}
	_ = c.nc.SetDeadline(time.Time{})
	return nil
}

// headerValue drops CR and LF so that a header cannot be split.
func headerValue(s string) string {
	return strings.NewReplacer("\r", "", "\n", "").Replace(s)
}

// wsCtxErr prefers the context's error over the deadline error it caused.
// The socket's deadline is the context's, so the socket may time out a
// moment before the context says it is done.
func wsCtxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%w)", cerr, err)
	}
	var ne net.Error
	if dl, ok := ctx.Deadline(); ok && errors.As(err, &ne) && ne.Timeout() && !time.Now().Before(dl) {
		return fmt.Errorf("%w (%w)", context.DeadlineExceeded, err)
	}
	return err
}

// errCloseSent refuses a write after the close frame: the connection is
// ending, and the reader will say why.
var errCloseSent = errors.New("the WebSocket is closing")

// errTooBig is the reader's answer to an oversized message; the
// connection is closed with 1009.
var errTooBig = errors.New("message too big")

// readMessage returns the next data message and whether it came as
// binary. Pings are answered and pongs ignored. A close frame is echoed
// and returned as a *CloseError; a framing violation closes with 1002 and
// returns the *wsproto.ProtocolError.
func (c *wsConn) readMessage() (msg []byte, binary bool, err error) {
	fragmented := false
	for {
		h, err := c.readHeader()
		if err != nil {
			return nil, false, err
		}
		if h.Masked { // RFC 6455 §5.1: a client fails a masked server frame
			return nil, false, c.fail(wsproto.CloseProtocolError, "masked frame from the server")
		}
		if h.Op.IsControl() {
			if err := c.control(h); err != nil {
				return nil, false, err
			}
			continue
		}
		switch {
		case h.Op == wsproto.OpContinuation && !fragmented:
			return nil, false, c.fail(wsproto.CloseProtocolError, "continuation frame without a message")
		case h.Op != wsproto.OpContinuation && fragmented:
			return nil, false, c.fail(wsproto.CloseProtocolError, "new message inside a fragmented one")
		case h.Length+uint64(len(msg)) > c.max:
			_ = c.fail(wsproto.CloseMessageTooBig, "message too big")
			return nil, false, fmt.Errorf("%w: a message of more than %d bytes (%w)", ErrMalformed, c.max, errTooBig)
		}
		if !fragmented {
			binary = h.Op == wsproto.OpBinary
		}
		start := len(msg)
		msg = append(msg, make([]byte, h.Length)...)
		if _, err := io.ReadFull(c.br, msg[start:]); err != nil {
			return nil, false, unexpectedEOF(err)
		}
		if h.Fin {
			return msg, binary, nil
		}
		fragmented = true
	}
}

func (c *wsConn) readHeader() (wsproto.Header, error) {
	b, err := c.br.Peek(2)
	if err != nil {
		return wsproto.Header{}, err // io.EOF when the tracker hung up between frames
	}
	if b, err = c.br.Peek(wsproto.HeaderLen(b)); err != nil {
		return wsproto.Header{}, unexpectedEOF(err)
	}
	h, n, perr := wsproto.ParseHeader(b, false)
	if perr != nil {
		return wsproto.Header{}, c.fail(perr.Code, perr.Text)
	}
	_, _ = c.br.Discard(n)
	return h, nil
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// control handles a ping, pong or close frame.
func (c *wsConn) control(h wsproto.Header) error {
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(c.br, p); err != nil {
		return unexpectedEOF(err)
	}
	switch h.Op {
	case wsproto.OpPing:
		// A pong that could not even start within controlWriteTimeout
		// (this process was starved) is skipped: the stream is intact and
		// trackers wait far longer for one. Half a pong breaks it.
		if n, err := c.writeControl(wsproto.OpPong, p); err != nil && n > 0 {
			return err
		}
		return nil
	case wsproto.OpClose:
		code, perr := wsproto.ParseClosePayload(p)
		if perr != nil {
			return c.fail(perr.Code, perr.Text)
		}
		var echo []byte
		if code != 0 {
			echo = p[:2]
		}
		_, _ = c.writeControl(wsproto.OpClose, echo)
		ce := &CloseError{Code: code}
		if len(p) > 2 {
			ce.Reason = string(p[2:])
		}
		return ce
	}
	return nil
}

// fail sends a close frame for a violation of RFC 6455 by the tracker and
// returns the error that ends the connection.
func (c *wsConn) fail(code uint16, text string) error {
	_, _ = c.writeControl(wsproto.OpClose, wsproto.AppendClosePayload(nil, code, text))
	return &wsproto.ProtocolError{Code: code, Text: text}
}

// writeControl sends a control frame within controlWriteTimeout and says
// how many bytes went out.
func (c *wsConn) writeControl(op wsproto.Opcode, payload []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeControlLocked(op, payload)
}

func (c *wsConn) writeControlLocked(op wsproto.Opcode, payload []byte) (int, error) {
	if c.closeSent {
		return 0, nil
	}
	c.closeSent = op == wsproto.OpClose
	b := append(make([]byte, wsproto.MaxClientHeader, wsproto.MaxClientHeader+len(payload)), payload...)
	_ = c.nc.SetWriteDeadline(time.Now().Add(controlWriteTimeout))
	return c.writeLocked(op, b)
}

// writeLocked masks and sends b[MaxClientHeader:] as one frame and says
// how many bytes went out. The caller holds wmu and has set the write
// deadline.
func (c *wsConn) writeLocked(op wsproto.Opcode, b []byte) (int, error) {
	off := wsproto.PutClientFrame(b, op, mrand.Uint32())
	return c.nc.Write(b[off:])
}

// writeMessageLocked sends one text message, b[MaxClientHeader:], within
// ctx. The caller holds wmu. broken reports a write cut short: half a
// frame is on the wire and the connection cannot go on.
func (c *wsConn) writeMessageLocked(ctx context.Context, b []byte) (broken bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if c.closeSent {
		return false, errCloseSent
	}
	dl, _ := ctx.Deadline()
	_ = c.nc.SetWriteDeadline(dl)
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = c.nc.SetWriteDeadline(time.Unix(1, 0))
		close(fired)
	})
	n, err := c.writeLocked(wsproto.OpText, b)
	if !stop() {
		<-fired // its deadline must not land on the next write
	}
	if err != nil {
		return n > 0, wsCtxErr(ctx, err)
	}
	return false, nil
}
