package engine

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/swarmbridge/swarmbridge/signaling/wsproto"
)

// This file is the server side of the RFC 6455 opening handshake (§4.2).
// The tracker negotiates nothing: no subprotocol and no extensions, so
// never permessage-deflate (docs/protocol.md §2.2). The refusals and their
// texts are those of github.com/coder/websocket, which served the handshake
// before.

// CheckHandshake checks that r opens a WebSocket. It returns 0, or the HTTP
// status and plain-text reason to refuse it with; refusals may set headers
// on h that tell the client what is expected.
func CheckHandshake(h http.Header, r *http.Request) (int, string) {
	if !r.ProtoAtLeast(1, 1) {
		return http.StatusUpgradeRequired, fmt.Sprintf("WebSocket protocol violation: handshake request must be at least HTTP/1.1: %q", r.Proto)
	}
	if !headerHasToken(r.Header, "Connection", "upgrade") {
		h.Set("Connection", "Upgrade")
		h.Set("Upgrade", "websocket")
		return http.StatusUpgradeRequired, fmt.Sprintf("WebSocket protocol violation: Connection header %q does not contain Upgrade", r.Header.Get("Connection"))
	}
	if !headerHasToken(r.Header, "Upgrade", "websocket") {
		h.Set("Connection", "Upgrade")
		h.Set("Upgrade", "websocket")
		return http.StatusUpgradeRequired, fmt.Sprintf("WebSocket protocol violation: Upgrade header %q does not contain websocket", r.Header.Get("Upgrade"))
	}
	if r.Method != http.MethodGet {
		return http.StatusMethodNotAllowed, fmt.Sprintf("WebSocket protocol violation: handshake request method is not GET but %q", r.Method)
	}
	if v := r.Header.Get("Sec-WebSocket-Version"); v != "13" {
		h.Set("Sec-WebSocket-Version", "13")
		return http.StatusBadRequest, fmt.Sprintf("unsupported WebSocket protocol version (only 13 is supported): %q", v)
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	switch len(keys) {
	case 0:
		return http.StatusBadRequest, "WebSocket protocol violation: missing Sec-WebSocket-Key"
	case 1:
	default:
		return http.StatusBadRequest, "WebSocket protocol violation: multiple Sec-WebSocket-Key headers"
	}
	key := strings.TrimSpace(keys[0])
	if v, err := base64.StdEncoding.DecodeString(key); err != nil || len(v) != 16 {
		return http.StatusBadRequest, fmt.Sprintf("WebSocket protocol violation: invalid Sec-WebSocket-Key %q, must be a 16 byte base64 encoded string", key)
	}
	return 0, ""
}

// headerHasToken reports whether a comma-separated header of h contains
// token, ignoring case (Connection: keep-alive, Upgrade).
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// appendAccept appends the response that completes the handshake for key
// (a key CheckHandshake accepted).
func appendAccept(dst []byte, key string) []byte {
	dst = append(dst, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	dst = wsproto.AppendAcceptKey(dst, key)
	return append(dst, "\r\n\r\n"...)
}

// errHijack wraps a failure to take the connection over from net/http.
var errHijack = errors.New("signaling: cannot take over the connection")

// Upgrade takes the connection of an accepted handshake over from net/http
// and sends the 101 response. It returns the connection and the bytes
// net/http had already read past the request headers: a client may send
// its first frames right behind them. On failure it has answered with an
// HTTP error or closed the connection.
func Upgrade(w http.ResponseWriter, r *http.Request) (net.Conn, []byte, error) {
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, http.ErrNotSupported) {
			status = http.StatusNotImplemented
		}
		http.Error(w, http.StatusText(status), status)
		return nil, nil, fmt.Errorf("%w: %w", errHijack, err)
	}
	pipelined, err := buffered(brw.Reader)
	if err != nil {
		_ = nc.Close()
		return nil, nil, fmt.Errorf("%w: %w", errHijack, err)
	}
	var buf [160]byte
	if _, err := nc.Write(appendAccept(buf[:0], r.Header.Get("Sec-WebSocket-Key"))); err != nil {
		_ = nc.Close()
		return nil, nil, fmt.Errorf("signaling: sending the handshake response: %w", err)
	}
	return nc, pipelined, nil
}

// buffered returns what br holds, which is what net/http read past the
// request. It aliases br's buffer, which nothing else uses any more.
func buffered(br *bufio.Reader) ([]byte, error) {
	n := br.Buffered()
	if n == 0 {
		return nil, nil
	}
	b, err := br.Peek(n)
	if err != nil {
		return nil, fmt.Errorf("reading bytes buffered by net/http: %w", err)
	}
	return b, nil
}

// refuseShuttingDown closes a connection upgraded while Shutdown began.
func refuseShuttingDown(nc net.Conn) {
	code, text := CloseShutdown.status()
	f := NewFrame()
	*f = wsproto.AppendClosePayload(*f, code, text)
	off := wsproto.PutServerHeader(*f, wsproto.OpClose)
	_ = nc.SetWriteDeadline(time.Now().Add(CloseWait))
	_, _ = nc.Write((*f)[off:])
	FreeFrame(f)
	_ = nc.Close()
}
