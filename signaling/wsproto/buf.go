package wsproto

import "sync"

// bufPool holds the buffers of messages and control frames that arrive in
// pieces, for the short time until they are complete.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 2048)
	return &b
}}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	// Do not keep rare huge buffers alive in the pool.
	if cap(*b) > 128<<10 {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}
