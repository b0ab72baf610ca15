package ratelimit

import (
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// fakeClock only moves when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newAddrLimiter(t testing.TB, o Options) *Limiter[netip.Addr] {
	t.Helper()
	l, err := NewAddr(o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func addr(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
}

func allowed(l *Limiter[netip.Addr], a netip.Addr, n int) int {
	ok := 0
	for range n {
		if l.Allow(a) {
			ok++
		}
	}
	return ok
}

func TestBurstThenRefillAtRate(t *testing.T) {
	clk := newFakeClock()
	l := newAddrLimiter(t, Options{Burst: 10, Per: 10 * time.Second, Now: clk.Now})
	a := addr(1)
	if got := allowed(l, a, 15); got != 10 {
		t.Fatalf("burst: %d allowed, want 10", got)
	}
	// One token per second comes back.
	clk.Advance(time.Second)
	if got := allowed(l, a, 5); got != 1 {
		t.Fatalf("after 1s: %d allowed, want 1", got)
	}
	clk.Advance(3500 * time.Millisecond)
	if got := allowed(l, a, 5); got != 3 {
		t.Fatalf("after 3.5s: %d allowed, want 3", got)
	}
	// A long rest fills the bucket, never beyond Burst.
	clk.Advance(time.Hour)
	if got := allowed(l, a, 50); got != 10 {
		t.Fatalf("after an hour: %d allowed, want 10", got)
	}
}

func TestKeysAreIndependent(t *testing.T) {
	clk := newFakeClock()
	l := newAddrLimiter(t, Options{Burst: 3, Per: time.Minute, Now: clk.Now})
	if got := allowed(l, addr(1), 10); got != 3 {
		t.Fatalf("first key: %d", got)
	}
	if got := allowed(l, addr(2), 10); got != 3 {
		t.Fatalf("second key was limited by the first: %d", got)
	}
}

func TestSweepForgetsOnlyFullBuckets(t *testing.T) {
	clk := newFakeClock()
	l := newAddrLimiter(t, Options{Burst: 4, Per: 4 * time.Second, SweepEvery: time.Hour, Now: clk.Now})
	for i := range 100 {
		l.Allow(addr(i)) // one token used: full again after 1s
	}
	busy := addr(1000)
	allowed(l, busy, 4) // empty: full again after 4s
	if st := l.Stats(); st.Keys != 101 {
		t.Fatalf("keys %d, want 101", st.Keys)
	}
	clk.Advance(2 * time.Second)
	l.Sweep()
	st := l.Stats()
	if st.Keys != 1 || st.Forgotten != 100 {
		t.Fatalf("after sweep: %+v, want only the busy key left", st)
	}
	// The busy key is still limited: forgetting lost no information.
	if got := allowed(l, busy, 4); got != 2 {
		t.Fatalf("busy key after 2s: %d allowed, want 2", got)
	}
}

func TestAllowSweepsOnItsOwn(t *testing.T) {
	clk := newFakeClock()
	l := newAddrLimiter(t, Options{Burst: 1, Per: time.Second, SweepEvery: time.Second, MaxKeys: 16, Now: clk.Now})
	if l.MaxKeys() != 16 {
		t.Fatalf("one shard of 16 expected, got %d", l.MaxKeys())
	}
	for i := range 10 {
		l.Allow(addr(i))
	}
	clk.Advance(5 * time.Second)
	l.Allow(addr(99))
	if st := l.Stats(); st.Keys != 1 || st.Forgotten != 10 {
		t.Fatalf("idle keys not forgotten by Allow: %+v", st)
	}
}

// A flood of distinct keys (spoofed source addresses) never grows the
// limiter beyond MaxKeys, even when no key is idle yet.
func TestMaxKeysBoundsMemoryUnderAFloodOfNewKeys(t *testing.T) {
	clk := newFakeClock()
	l := newAddrLimiter(t, Options{Burst: 5, Per: time.Hour, MaxKeys: 1024, Now: clk.Now})
	for i := range 100_000 {
		if !l.Allow(addr(i)) {
			t.Fatalf("a new key was refused")
		}
	}
	st := l.Stats()
	if st.Keys > 1024 || st.Keys > l.MaxKeys() {
		t.Fatalf("%d keys tracked, cap 1024", st.Keys)
	}
	if st.Evicted < 100_000-1024 {
		t.Fatalf("evicted %d", st.Evicted)
	}
}

func TestAddrKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":                "192.0.2.7",
		"::ffff:192.0.2.7":         "192.0.2.7",
		"2001:db8:1:2:aaaa::1":     "2001:db8:1:2::",
		"2001:db8:1:2:ffff::9%eth": "2001:db8:1:2::",
	} {
		if got := AddrKey(netip.MustParseAddr(in)); got != netip.MustParseAddr(want) {
			t.Errorf("AddrKey(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestIPv6ClientsShareTheirSlash64(t *testing.T) {
	l := newAddrLimiter(t, Options{Burst: 2, Per: time.Hour})
	a := AddrKey(netip.MustParseAddr("2001:db8::1"))
	b := AddrKey(netip.MustParseAddr("2001:db8::2"))
	if !l.Allow(a) || !l.Allow(b) || l.Allow(a) {
		t.Fatal("two addresses of one /64 must share a bucket")
	}
	if !l.Allow(AddrKey(netip.MustParseAddr("2001:db8:0:1::1"))) {
		t.Fatal("another /64 was limited")
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []Options{
		{Burst: 0, Per: time.Second},
		{Burst: 1, Per: 0},
		{Burst: 1, Per: time.Second, MaxKeys: -1},
		{Burst: 1, Per: time.Second, SweepEvery: -1},
	} {
		if _, err := NewAddr(o); !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: err %v", o, err)
		}
	}
	if _, err := New[int](Options{Burst: 1, Per: time.Second}, nil); !errors.Is(err, ErrOptions) {
		t.Errorf("nil hash: %v", err)
	}
}

func TestConcurrentUseNeverExceedsBurst(t *testing.T) {
	clk := newFakeClock() // frozen: no refill during the test
	l := newAddrLimiter(t, Options{Burst: 100, Per: time.Hour, Now: clk.Now})
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
	)
	for range 8 {
		wg.Go(func() {
			n := allowed(l, addr(7), 100)
			mu.Lock()
			total += n
			mu.Unlock()
		})
	}
	wg.Wait()
	if total != 100 {
		t.Fatalf("%d allowed in total, want exactly the burst of 100", total)
	}
}

func TestAllowAllocatesNothingInSteadyState(t *testing.T) {
	l := newAddrLimiter(t, Options{Burst: 1 << 30, Per: time.Hour})
	keys := make([]netip.Addr, 1000)
	for i := range keys {
		keys[i] = addr(i)
		l.Allow(keys[i])
	}
	i := 0
	if n := testing.AllocsPerRun(10_000, func() {
		l.Allow(keys[i%len(keys)])
		i++
	}); n != 0 {
		t.Fatalf("Allow allocates %v times per call", n)
	}
}
