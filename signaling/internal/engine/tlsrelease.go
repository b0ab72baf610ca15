package engine

import (
	"bytes"
	"crypto/tls"
	"reflect"
	"unsafe"
)

// crypto/tls keeps two input buffers in each tls.Conn for the connection's
// whole life, and has no way to let them go: rawInput, where records are
// read and decrypted in place, as large as the largest record seen plus
// half a kilobyte; and hand, the handshake messages, as large as the
// ClientHello (1.5 to 2 KB since browsers and Go send a post-quantum key
// share). Measured on an idle wss:// connection that announced once, the
// two are 3.5 KB of the 6.9 KB crypto/tls holds, and at Go's default GC
// target they cost about twice that in RSS, more than a whole idle ws://
// connection.
//
// So the engine empties them itself once a connection's read side is idle
// (tlsidle_linux.go) and right after the handshake: it finds the fields by
// name when the program starts, and uses them only when they still have
// the types this code expects (bytes.Buffer, bytes.Reader). Emptying is
// safe exactly when nothing is buffered: crypto/tls then starts the next
// record from an empty buffer, as on a new connection (c.input is a reader
// over rawInput and is reset for every record; hand is only appended to).
// Only the read side touches these fields, in tls.Conn.Read, and the engine
// empties them on the read side, between reads.
//
// Should a Go release rename or retype them, tlsLayout.ok is false and the
// buffers simply stay, as before; TestTLSBuffersAreReleasedWhenIdle fails
// then, so that it does not go unnoticed.
var tlsLayout = findTLSLayout()

type tlsConnLayout struct {
	ok                    bool
	rawInput, input, hand uintptr // offsets in tls.Conn
}

func findTLSLayout() tlsConnLayout {
	t := reflect.TypeFor[tls.Conn]()
	raw, ok1 := t.FieldByName("rawInput")
	in, ok2 := t.FieldByName("input")
	hand, ok3 := t.FieldByName("hand")
	buf, rd := reflect.TypeFor[bytes.Buffer](), reflect.TypeFor[bytes.Reader]()
	if !ok1 || !ok2 || !ok3 || raw.Type != buf || in.Type != rd || hand.Type != buf {
		return tlsConnLayout{}
	}
	return tlsConnLayout{ok: true, rawInput: raw.Offset, input: in.Offset, hand: hand.Offset}
}

// releaseTLSBuffers lets crypto/tls's input buffers of tc go when they hold
// nothing. It must run on tc's read side, between reads.
func releaseTLSBuffers(tc *tls.Conn) {
	if !tlsLayout.ok {
		return
	}
	p := unsafe.Pointer(tc)
	raw := (*bytes.Buffer)(unsafe.Add(p, tlsLayout.rawInput))
	in := (*bytes.Reader)(unsafe.Add(p, tlsLayout.input))
	hand := (*bytes.Buffer)(unsafe.Add(p, tlsLayout.hand))
	if raw.Len() != 0 || in.Len() != 0 || hand.Len() != 0 {
		return // a record or message is on its way
	}
	*raw = bytes.Buffer{}
	in.Reset(nil)
	*hand = bytes.Buffer{}
}

// tlsBuffered reports the capacity crypto/tls's input buffers of tc hold,
// for tests.
func tlsBuffered(tc *tls.Conn) int {
	if !tlsLayout.ok {
		return -1
	}
	p := unsafe.Pointer(tc)
	raw := (*bytes.Buffer)(unsafe.Add(p, tlsLayout.rawInput))
	hand := (*bytes.Buffer)(unsafe.Add(p, tlsLayout.hand))
	return raw.Cap() + hand.Cap()
}
