package swarmtest

import (
	"sync"
	"time"
)

// Clock is a fake clock for stores with expiry: time moves only when the
// test calls Advance. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock reading now until it is advanced.
func NewClock(now time.Time) *Clock {
	return &Clock{now: now}
}

// Now returns the clock's current time. Pass it (the method value) as the
// store's time source.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
