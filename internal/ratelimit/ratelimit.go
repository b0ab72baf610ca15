// Package ratelimit is a per-key token-bucket rate limiter for hot paths:
// every announce and every UDP packet asks it once.
//
// Each key has a bucket of Burst tokens that refills at Burst per Per; an
// event takes one token and is refused when the bucket is empty. Buckets
// are kept as one number per key, the time at which the bucket will be full
// again (the "theoretical arrival time" of GCRA, which is the same
// algorithm as a token bucket), so a check is one map lookup and one store
// under a shard lock, and allocates nothing once the map has grown.
//
// Memory stays bounded whatever the traffic: a key whose bucket is full
// again carries no information (a fresh key starts full), so each shard
// periodically forgets such keys, and the number of keys is capped. When a
// shard is full, a new key evicts a random one; the evicted key starts over
// with a full bucket. A flood of spoofed source addresses therefore costs a
// fixed amount of memory, and at worst lets some limited keys start over.
package ratelimit

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// Defaults for zero Options fields.
const (
	DefaultMaxKeys = 100_000
	maxShards      = 64
)

// ErrOptions is wrapped by the errors New returns for bad Options.
var ErrOptions = errors.New("ratelimit: invalid options")

// Options configure a Limiter.
type Options struct {
	// Burst is the bucket size: how many events a key may have in a row
	// after being quiet. Required, at least 1.
	Burst int
	// Per is how long an empty bucket takes to fill: a key gets Burst
	// events per Per on average. Required, positive.
	Per time.Duration
	// MaxKeys bounds how many keys are tracked at once. Default 100000.
	MaxKeys int
	// SweepEvery is how often each shard forgets keys whose bucket is full
	// again. Default Per, at most one minute.
	SweepEvery time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Limiter is a set of token buckets, one per key. It is safe for
// concurrent use.
type Limiter[K comparable] struct {
	hash       func(K) uint64
	now        func() time.Time
	base       time.Time
	interval   int64 // ns per token
	tolerance  int64 // ns a bucket may run ahead of now: (Burst-1) tokens
	perShard   int
	sweepEvery int64
	mask       uint64
	shards     []shard[K]
}

type shard[K comparable] struct {
	mu sync.Mutex
	// m maps a key to the time (ns since base) at which its bucket is
	// full again. A missing key has a full bucket.
	m         map[K]int64
	lastSweep int64
	evicted   uint64
	forgotten uint64
	// Keep neighbouring shards' locks off one cache line.
	_ [64]byte
}

// New returns a Limiter for keys of type K. hash spreads keys over the
// shards; it need not be strong (each shard's map hashes keys again), only
// cheap and free of allocations.
func New[K comparable](o Options, hash func(K) uint64) (*Limiter[K], error) {
	switch {
	case o.Burst < 1:
		return nil, fmt.Errorf("%w: Burst %d is below 1", ErrOptions, o.Burst)
	case o.Per <= 0:
		return nil, fmt.Errorf("%w: Per %v is not positive", ErrOptions, o.Per)
	case o.MaxKeys < 0:
		return nil, fmt.Errorf("%w: MaxKeys %d is negative", ErrOptions, o.MaxKeys)
	case o.SweepEvery < 0:
		return nil, fmt.Errorf("%w: SweepEvery %v is negative", ErrOptions, o.SweepEvery)
	case hash == nil:
		return nil, fmt.Errorf("%w: hash is nil", ErrOptions)
	}
	if o.MaxKeys == 0 {
		o.MaxKeys = DefaultMaxKeys
	}
	if o.SweepEvery == 0 {
		o.SweepEvery = min(o.Per, time.Minute)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	// Shards spread lock contention; keep at least 16 keys in each so
	// rounding does not eat a small MaxKeys.
	n := maxShards
	for n > 1 && n*16 > o.MaxKeys {
		n /= 2
	}
	interval := max(int64(o.Per)/int64(o.Burst), 1)
	l := &Limiter[K]{
		hash:       hash,
		now:        o.Now,
		base:       o.Now(),
		interval:   interval,
		tolerance:  interval * int64(o.Burst-1),
		perShard:   o.MaxKeys / n,
		sweepEvery: int64(o.SweepEvery),
		mask:       uint64(n - 1),
		shards:     make([]shard[K], n),
	}
	for i := range l.shards {
		l.shards[i].m = make(map[K]int64)
	}
	return l, nil
}

// NewAddr returns a Limiter keyed by IP address. Pass addresses through
// AddrKey first to count IPv6 clients by their /64.
func NewAddr(o Options) (*Limiter[netip.Addr], error) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	seed := binary.LittleEndian.Uint64(b[:])
	return New(o, func(a netip.Addr) uint64 { return hashAddr(seed, a) })
}

// hashAddr mixes the 16-byte form of a with seed (a splitmix64 finalizer).
func hashAddr(seed uint64, a netip.Addr) uint64 {
	b := a.As16()
	x := binary.LittleEndian.Uint64(b[:8]) ^ seed
	x ^= binary.LittleEndian.Uint64(b[8:]) * 0x9e3779b97f4a7c15
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// AddrKey is the key a client address is limited under: an IPv4 address
// (IPv4-mapped ones unmapped) as it is, an IPv6 address by its /64, because
// one IPv6 subscriber usually holds a whole /64. Zones are dropped.
func AddrKey(a netip.Addr) netip.Addr {
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

func (l *Limiter[K]) clock() int64 { return int64(l.now().Sub(l.base)) }

// Allow takes a token from k's bucket and reports whether there was one.
func (l *Limiter[K]) Allow(k K) bool {
	now := l.clock()
	s := &l.shards[l.hash(k)&l.mask]
	s.mu.Lock()
	if now-s.lastSweep >= l.sweepEvery {
		s.sweep(now)
	}
	tat, tracked := s.m[k]
	if !tracked || tat < now {
		tat = now
	}
	if tat-now > l.tolerance {
		s.mu.Unlock()
		return false
	}
	if !tracked && len(s.m) >= l.perShard {
		s.evictOne()
	}
	s.m[k] = tat + l.interval
	s.mu.Unlock()
	return true
}

// sweep forgets the keys whose bucket is full at now.
func (s *shard[K]) sweep(now int64) {
	s.lastSweep = now
	for k, tat := range s.m {
		if tat <= now {
			delete(s.m, k)
			s.forgotten++
		}
	}
}

// evictOne forgets one key. Map iteration starts at a random place, so the
// victim is effectively random; a flood of new keys cannot target one.
func (s *shard[K]) evictOne() {
	for k := range s.m {
		delete(s.m, k)
		s.evicted++
		return
	}
}

// Sweep forgets every key whose bucket is full again, in all shards now.
// Allow does this on its own, one shard at a time; Sweep is for callers
// that want memory back sooner.
func (l *Limiter[K]) Sweep() {
	now := l.clock()
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		s.sweep(now)
		s.mu.Unlock()
	}
}

// Stats describe a Limiter's memory use.
type Stats struct {
	// Keys is how many keys are tracked now.
	Keys int
	// Forgotten counts keys dropped by sweeps because their bucket was
	// full again (no information lost).
	Forgotten uint64
	// Evicted counts keys dropped because their shard was full (those
	// keys started over with a full bucket).
	Evicted uint64
}

// Stats returns the current numbers.
func (l *Limiter[K]) Stats() Stats {
	var st Stats
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		st.Keys += len(s.m)
		st.Forgotten += s.forgotten
		st.Evicted += s.evicted
		s.mu.Unlock()
	}
	return st
}

// MaxKeys is the most keys the Limiter tracks at once: Options.MaxKeys
// rounded down to a multiple of the shard count.
func (l *Limiter[K]) MaxKeys() int { return l.perShard * len(l.shards) }
