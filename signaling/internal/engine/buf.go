package engine

import (
	"sync"

	"github.com/swarmbridge/swarmbridge/signaling/wsproto"
)

// bufPool recycles outgoing frames.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 2048)
	return &b
}}

var zeroHeadroom [Headroom]byte

// Headroom is the free space NewFrame leaves in front of a message for its
// frame header.
const Headroom = wsproto.MaxServerHeader

// NewFrame returns a pooled buffer to append one message to, behind
// Headroom bytes of room for its frame header. Give it to Enqueue, which
// takes it over, or back with FreeFrame.
func NewFrame() *[]byte {
	b := getBuf()
	*b = append(*b, zeroHeadroom[:]...)
	return b
}

// getBuf returns an empty pooled buffer; FreeFrame gives it back.
func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

// FreeFrame gives a buffer from NewFrame back.
func FreeFrame(b *[]byte) {
	// Do not keep rare huge buffers alive in the pool.
	if cap(*b) > 128<<10 {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}
