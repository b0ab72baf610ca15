package main

import (
	"bufio"
	"crypto/sha1"
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

// A minimal RFC 6455 client: enough for a load generator, and cheap. Every
// message is built straight into a frame buffer (wsHeaderRoom bytes are
// kept free in front for the header), masked in place with 8-byte XORs
// and written with one system call. Reads go through a small bufio.Reader;
// a message that fits in it is handled in place without a copy.

const (
	opCont  = 0x0
	opText  = 0x1
	opBin   = 0x2
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xA

	wsHeaderRoom = 14 // 2 + 8 (length) + 4 (mask)
)

var errWSClosed = errors.New("websocket closed by server")

type wsConn struct {
	nc  net.Conn
	br  *bufio.Reader
	wmu sync.Mutex
	key uint64 // mask generator state (guarded by wmu)

	frag    []byte // reassembly of fragmented messages
	discard int    // bytes to drop from br before the next read
	ctrl    []byte // control frame payload
}

var wsBufPool = sync.Pool{New: func() any { b := make([]byte, wsHeaderRoom, 32<<10); return &b }}

// getFrame returns a buffer with wsHeaderRoom bytes reserved; append the
// payload to it and pass it to writeFrame.
func getFrame() *[]byte {
	b := wsBufPool.Get().(*[]byte)
	*b = (*b)[:wsHeaderRoom]
	return b
}

func putFrame(b *[]byte) {
	if cap(*b) > 1<<20 {
		return
	}
	wsBufPool.Put(b)
}

// dialWS connects to u from the local address src (host only, "" for any)
// and performs the opening handshake.
func dialWS(u *url.URL, src string, timeout time.Duration, readBuf int) (*wsConn, error) {
	d := net.Dialer{Timeout: timeout}
	if src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	nc, err := d.Dial("tcp", host)
	if err != nil {
		return nil, err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	var k [16]byte
	r := newRNG(uint64(time.Now().UnixNano()) ^ processSalt)
	r.fill(k[:])
	key := base64.StdEncoding.EncodeToString(k[:])
	path := u.RequestURI()
	req := "GET " + path + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
		"\r\nSec-WebSocket-Version: 13\r\nOrigin: http://" + u.Host + "\r\nUser-Agent: swarmbridge-load\r\n\r\n"
	_ = nc.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(nc, req); err != nil {
		nc.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(nc, readBuf)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		nc.Close()
		return nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		nc.Close()
		return nil, fmt.Errorf("handshake: HTTP %d", resp.StatusCode)
	}
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(h[:]) ||
		!strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") {
		nc.Close()
		return nil, errors.New("handshake: bad Sec-WebSocket-Accept or Upgrade")
	}
	_ = nc.SetDeadline(time.Time{})
	return &wsConn{nc: nc, br: br, key: r.next()}, nil
}

// writeFrame sends (*buf)[wsHeaderRoom:] as one masked frame with opcode
// op. It may be called from several goroutines.
func (c *wsConn) writeFrame(op byte, buf *[]byte) error {
	b := *buf
	payload := b[wsHeaderRoom:]
	n := len(payload)
	hlen := 2 + 4
	switch {
	case n > 0xFFFF:
		hlen += 8
	case n > 125:
		hlen += 2
	}
	start := wsHeaderRoom - hlen
	h := b[start:wsHeaderRoom]
	h[0] = 0x80 | op
	switch {
	case n > 0xFFFF:
		h[1] = 0x80 | 127
		binary.BigEndian.PutUint64(h[2:], uint64(n))
	case n > 125:
		h[1] = 0x80 | 126
		binary.BigEndian.PutUint16(h[2:], uint16(n))
	default:
		h[1] = 0x80 | byte(n)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.key ^= c.key << 13
	c.key ^= c.key >> 7
	c.key ^= c.key << 17
	mask := uint32(c.key)
	binary.LittleEndian.PutUint32(h[hlen-4:], mask)
	maskBytes(payload, mask)
	_, err := c.nc.Write(b[start:])
	return err
}

// maskBytes XORs p with the 4-byte key (stored little-endian in mask, so
// byte i is XORed with key[i%4]).
func maskBytes(p []byte, mask uint32) {
	m64 := uint64(mask) | uint64(mask)<<32
	i := 0
	for ; i+8 <= len(p); i += 8 {
		v := binary.LittleEndian.Uint64(p[i:])
		binary.LittleEndian.PutUint64(p[i:], v^m64)
	}
	for ; i < len(p); i++ {
		p[i] ^= byte(mask >> (8 * uint(i&3)))
	}
}

// writeControl sends a control frame (pong, close).
func (c *wsConn) writeControl(op byte, payload []byte) error {
	b := getFrame()
	*b = append(*b, payload...)
	err := c.writeFrame(op, b)
	putFrame(b)
	return err
}

// readMessage returns the next data message. The slice is valid until the
// next call. Pings are answered, pongs ignored; a close frame is answered
// and returns errWSClosed.
func (c *wsConn) readMessage() ([]byte, error) {
	if c.discard > 0 {
		_, _ = c.br.Discard(c.discard)
		c.discard = 0
	}
	c.frag = c.frag[:0]
	fragmented := false
	for {
		var hdr [14]byte
		if _, err := io.ReadFull(c.br, hdr[:2]); err != nil {
			return nil, err
		}
		fin := hdr[0]&0x80 != 0
		op := hdr[0] & 0x0F
		masked := hdr[1]&0x80 != 0
		n := uint64(hdr[1] & 0x7F)
		switch n {
		case 126:
			if _, err := io.ReadFull(c.br, hdr[2:4]); err != nil {
				return nil, err
			}
			n = uint64(binary.BigEndian.Uint16(hdr[2:4]))
		case 127:
			if _, err := io.ReadFull(c.br, hdr[2:10]); err != nil {
				return nil, err
			}
			n = binary.BigEndian.Uint64(hdr[2:10])
		}
		var mask uint32
		if masked {
			if _, err := io.ReadFull(c.br, hdr[10:14]); err != nil {
				return nil, err
			}
			mask = binary.LittleEndian.Uint32(hdr[10:14])
		}
		if n > 64<<20 {
			return nil, fmt.Errorf("websocket frame of %d bytes", n)
		}
		if op >= opClose {
			c.ctrl = c.ctrl[:0]
			c.ctrl = append(c.ctrl, make([]byte, n)...)
			if _, err := io.ReadFull(c.br, c.ctrl); err != nil {
				return nil, err
			}
			if masked {
				maskBytes(c.ctrl, mask)
			}
			switch op {
			case opPing:
				if err := c.writeControl(opPong, c.ctrl); err != nil {
					return nil, err
				}
			case opClose:
				code := []byte{}
				if len(c.ctrl) >= 2 {
					code = c.ctrl[:2]
				}
				_ = c.writeControl(opClose, code)
				return nil, errWSClosed
			}
			continue
		}
		// Data frame: a whole message in one frame that fits the read
		// buffer is returned in place.
		if fin && !fragmented && int(n) <= c.br.Size() {
			p, err := c.br.Peek(int(n))
			if err != nil {
				return nil, err
			}
			if masked {
				maskBytes(p, mask)
			}
			c.discard = int(n)
			return p, nil
		}
		if op != opCont {
			fragmented = true
		}
		start := len(c.frag)
		c.frag = append(c.frag, make([]byte, n)...)
		if _, err := io.ReadFull(c.br, c.frag[start:]); err != nil {
			return nil, err
		}
		if masked {
			maskBytes(c.frag[start:], mask)
		}
		if fin {
			return c.frag, nil
		}
	}
}

func (c *wsConn) close() { _ = c.nc.Close() }
