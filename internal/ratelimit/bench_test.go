package ratelimit

import (
	"net/netip"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAllow is the steady state: a fixed population of clients, each
// checked over and over, from all CPUs.
func BenchmarkAllow(b *testing.B) {
	l := newAddrLimiter(b, Options{Burst: 1000, Per: time.Second})
	keys := make([]netip.Addr, 4096)
	for i := range keys {
		keys[i] = addr(i)
	}
	var next atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(7919))
		for pb.Next() {
			l.Allow(keys[i&(len(keys)-1)])
			i++
		}
	})
}

// BenchmarkAllowFlood is a flood of never-seen keys (spoofed UDP sources)
// against a full limiter: every call evicts a key.
func BenchmarkAllowFlood(b *testing.B) {
	l := newAddrLimiter(b, Options{Burst: 10, Per: time.Minute, MaxKeys: 65536})
	var next atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := next.Add(1)
			l.Allow(netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}))
		}
	})
}
